//! Response status codes: their numbers, reason phrases and the small HTML error pages.
//!
//! The pages look like nginx's (title, heading, a rule and the server name), so a browser
//! shows the same thing either way.

/// The statuses this server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    PartialContent,
    MovedPermanently,
    NotModified,
    BadRequest,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    RequestTimeout,
    PreconditionFailed,
    PayloadTooLarge,
    UriTooLong,
    RangeNotSatisfiable,
    HeaderFieldsTooLarge,
    InternalServerError,
    NotImplemented,
    BadGateway,
    ServiceUnavailable,
    GatewayTimeout,
    VersionNotSupported,
}

macro_rules! error_page {
    ($code:literal, $reason:literal) => {
        concat!(
            "<html>\r\n<head><title>",
            $code,
            " ",
            $reason,
            "</title></head>\r\n<body>\r\n<center><h1>",
            $code,
            " ",
            $reason,
            "</h1></center>\r\n<hr><center>httpd</center>\r\n</body>\r\n</html>\r\n"
        )
    };
}

macro_rules! statuses {
    ($($variant:ident = $code:literal $reason:literal,)*) => {
        impl Status {
            /// The three-digit code.
            pub(crate) fn code(self) -> u16 {
                match self { $(Status::$variant => $code,)* }
            }

            /// The reason phrase of the status line.
            pub(crate) fn reason(self) -> &'static str {
                match self { $(Status::$variant => $reason,)* }
            }

            /// The HTML page sent with this status when there is no file to send.
            pub(crate) fn page(self) -> &'static str {
                match self { $(Status::$variant => error_page!($code, $reason),)* }
            }
        }
    };
}

statuses! {
    Ok = 200 "OK",
    PartialContent = 206 "Partial Content",
    MovedPermanently = 301 "Moved Permanently",
    NotModified = 304 "Not Modified",
    BadRequest = 400 "Bad Request",
    Forbidden = 403 "Forbidden",
    NotFound = 404 "Not Found",
    MethodNotAllowed = 405 "Method Not Allowed",
    RequestTimeout = 408 "Request Timeout",
    PreconditionFailed = 412 "Precondition Failed",
    PayloadTooLarge = 413 "Content Too Large",
    UriTooLong = 414 "URI Too Long",
    RangeNotSatisfiable = 416 "Range Not Satisfiable",
    HeaderFieldsTooLarge = 431 "Request Header Fields Too Large",
    InternalServerError = 500 "Internal Server Error",
    NotImplemented = 501 "Not Implemented",
    BadGateway = 502 "Bad Gateway",
    ServiceUnavailable = 503 "Service Unavailable",
    GatewayTimeout = 504 "Gateway Timeout",
    VersionNotSupported = 505 "HTTP Version Not Supported",
}

impl Status {
    /// Whether the connection must close after this response: the request could not be
    /// framed or trusted (nginx turns keep-alive off for the same statuses).
    pub(crate) fn closes_connection(self) -> bool {
        matches!(
            self,
            Status::BadRequest
                | Status::PayloadTooLarge
                | Status::UriTooLong
                | Status::HeaderFieldsTooLarge
                | Status::InternalServerError
                | Status::NotImplemented
                | Status::ServiceUnavailable
                | Status::VersionNotSupported
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_name_their_status() {
        assert_eq!(Status::NotFound.code(), 404);
        assert!(Status::NotFound
            .page()
            .contains("<title>404 Not Found</title>"));
        assert!(Status::MethodNotAllowed.page().contains("405"));
    }
}
