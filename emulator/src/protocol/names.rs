//! Header names as `HeaderName` constants. A lookup or insert by `&str` parses and
//! validates the name on every call (and an insert of a name that is not one of
//! HTTP's standard headers copies it to the heap); these are parsed at compile
//! time, so the request path only hashes them.

use http::HeaderName;

macro_rules! names {
    ($($konst:ident = $text:literal;)+) => {
        $(
            #[doc = concat!("`", $text, "`")]
            pub const $konst: HeaderName = HeaderName::from_static($text);
        )+

        /// Every name above with its text, for the test that they agree.
        #[cfg(test)]
        fn all() -> Vec<(&'static str, HeaderName)> {
            vec![$(($text, $konst)),+]
        }
    };
}

names! {
    CONTENT_MD5 = "content-md5";
    X_AMZ_ACL = "x-amz-acl";
    X_AMZ_BUCKET_REGION = "x-amz-bucket-region";
    X_AMZ_CHECKSUM_ALGORITHM = "x-amz-checksum-algorithm";
    X_AMZ_CHECKSUM_CRC32 = "x-amz-checksum-crc32";
    X_AMZ_CHECKSUM_CRC32C = "x-amz-checksum-crc32c";
    X_AMZ_CHECKSUM_CRC64NVME = "x-amz-checksum-crc64nvme";
    X_AMZ_CHECKSUM_SHA1 = "x-amz-checksum-sha1";
    X_AMZ_CHECKSUM_SHA256 = "x-amz-checksum-sha256";
    X_AMZ_CHECKSUM_TYPE = "x-amz-checksum-type";
    X_AMZ_CONTENT_SHA256 = "x-amz-content-sha256";
    X_AMZ_COPY_SOURCE = "x-amz-copy-source";
    X_AMZ_DATE = "x-amz-date";
    X_AMZ_DECODED_CONTENT_LENGTH = "x-amz-decoded-content-length";
    X_AMZ_DELETE_MARKER = "x-amz-delete-marker";
    X_AMZ_EXPECTED_BUCKET_OWNER = "x-amz-expected-bucket-owner";
    X_AMZ_ID_2 = "x-amz-id-2";
    X_AMZ_METADATA_DIRECTIVE = "x-amz-metadata-directive";
    X_AMZ_REQUEST_ID = "x-amz-request-id";
    X_AMZ_REQUEST_PAYER = "x-amz-request-payer";
    X_AMZ_SDK_CHECKSUM_ALGORITHM = "x-amz-sdk-checksum-algorithm";
    X_AMZ_SECURITY_TOKEN = "x-amz-security-token";
    X_AMZ_SERVER_SIDE_ENCRYPTION = "x-amz-server-side-encryption";
    X_AMZ_SERVER_SIDE_ENCRYPTION_AWS_KMS_KEY_ID = "x-amz-server-side-encryption-aws-kms-key-id";
    X_AMZ_STORAGE_CLASS = "x-amz-storage-class";
    X_AMZ_TAGGING = "x-amz-tagging";
    X_AMZ_TAGGING_DIRECTIVE = "x-amz-tagging-directive";
    X_AMZ_TRAILER = "x-amz-trailer";
    X_AMZ_VERSION_ID = "x-amz-version-id";
    X_AMZ_WEBSITE_REDIRECT_LOCATION = "x-amz-website-redirect-location";
    X_AMZN_REQUESTID = "x-amzn-requestid";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_its_text() {
        for (text, name) in all() {
            assert_eq!(name.as_str(), text);
            assert_eq!(HeaderName::from_bytes(text.as_bytes()).ok(), Some(name));
        }
    }
}
