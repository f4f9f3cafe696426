//! Onboarding and append-only sync into a customer-owned S3 bucket.
