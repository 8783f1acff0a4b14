//! `Content-Type` from a file name's extension (nginx's `mime.types`, the common part).

/// The type of files whose extension is not in the table (nginx's `default_type`).
pub(crate) const DEFAULT_TYPE: &str = "application/octet-stream";

/// The media type for `path` by its extension, case-insensitively.
pub(crate) fn content_type(path: &[u8]) -> &'static str {
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    let Some(dot) = name.iter().rposition(|&b| b == b'.') else {
        return DEFAULT_TYPE;
    };
    let ext = &name[dot + 1..];
    if ext.is_empty() || ext.len() > 12 {
        return DEFAULT_TYPE;
    }
    let mut lower = [0u8; 12];
    for (l, b) in lower.iter_mut().zip(ext) {
        *l = b.to_ascii_lowercase();
    }
    by_extension(&lower[..ext.len()]).unwrap_or(DEFAULT_TYPE)
}

fn by_extension(ext: &[u8]) -> Option<&'static str> {
    Some(match ext {
        b"html" | b"htm" | b"shtml" => "text/html",
        b"css" => "text/css",
        b"js" | b"mjs" => "application/javascript",
        b"json" | b"map" => "application/json",
        b"xml" => "text/xml",
        b"txt" | b"text" | b"log" => "text/plain",
        b"md" => "text/markdown",
        b"csv" => "text/csv",
        b"svg" | b"svgz" => "image/svg+xml",
        b"png" => "image/png",
        b"jpg" | b"jpeg" => "image/jpeg",
        b"gif" => "image/gif",
        b"webp" => "image/webp",
        b"avif" => "image/avif",
        b"ico" => "image/x-icon",
        b"bmp" => "image/x-ms-bmp",
        b"tif" | b"tiff" => "image/tiff",
        b"pdf" => "application/pdf",
        b"wasm" => "application/wasm",
        b"woff" => "font/woff",
        b"woff2" => "font/woff2",
        b"ttf" => "font/ttf",
        b"otf" => "font/otf",
        b"mp4" => "video/mp4",
        b"webm" => "video/webm",
        b"mpeg" | b"mpg" => "video/mpeg",
        b"mov" => "video/quicktime",
        b"mp3" => "audio/mpeg",
        b"ogg" => "audio/ogg",
        b"m4a" => "audio/x-m4a",
        b"wav" => "audio/wav",
        b"zip" => "application/zip",
        b"gz" => "application/gzip",
        b"tar" => "application/x-tar",
        b"7z" => "application/x-7z-compressed",
        b"rss" => "application/rss+xml",
        b"atom" => "application/atom+xml",
        b"webmanifest" => "application/manifest+json",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_types() {
        let cases = [
            ("/index.html", "text/html"),
            ("/a/b.CSS", "text/css"),
            ("/app.js", "application/javascript"),
            ("/d.json", "application/json"),
            ("/i.svg", "image/svg+xml"),
            ("/i.png", "image/png"),
            ("/i.JPG", "image/jpeg"),
            ("/i.gif", "image/gif"),
            ("/i.webp", "image/webp"),
            ("/favicon.ico", "image/x-icon"),
            ("/r.txt", "text/plain"),
            ("/d.pdf", "application/pdf"),
            ("/m.wasm", "application/wasm"),
            ("/f.woff2", "font/woff2"),
            ("/v.mp4", "video/mp4"),
            ("/noext", DEFAULT_TYPE),
            ("/dir.d/noext", DEFAULT_TYPE),
            ("/trailingdot.", DEFAULT_TYPE),
            ("/x.verylongextension", DEFAULT_TYPE),
        ];
        for (path, want) in cases {
            assert_eq!(content_type(path.as_bytes()), want, "{path}");
        }
    }
}
