//! AWS Signature Version 4 verification, as S3 and STS perform it.
