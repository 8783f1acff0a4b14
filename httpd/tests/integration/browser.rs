//! A real browser: headless Chromium (Debian package `chromium`) loads a page from httpd
//! that links a stylesheet, a script and an image. A script on the page checks, after
//! `load`, that the stylesheet applied (a computed colour) and that the image decoded (its
//! natural width), and writes the verdict into the title; `--dump-dom` prints the DOM, and
//! the access log must show the browser fetched each resource. Skipped with a note when
//! Chromium is not installed.

use crate::common::*;
use std::process::Command;

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    b << 16 | a
}

fn chunk(png: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A valid 2×1 RGB PNG of red pixels (zlib with one stored block: no compressor needed).
fn red_png() -> Vec<u8> {
    let raw = [0u8, 255, 0, 0, 255, 0, 0]; // filter byte, then two RGB pixels
    let mut zlib = vec![0x78, 0x01, 0x01];
    zlib.extend_from_slice(&(raw.len() as u16).to_le_bytes());
    zlib.extend_from_slice(&(!(raw.len() as u16)).to_le_bytes());
    zlib.extend_from_slice(&raw);
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&2u32.to_be_bytes());
    ihdr.extend_from_slice(&1u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &zlib);
    chunk(&mut png, b"IEND", &[]);
    png
}

const PAGE: &str = r#"<!doctype html>
<html><head><meta charset="utf-8"><title>pending</title>
<link rel="stylesheet" href="/site/look.css">
<script src="/site/check.js"></script>
</head><body><h1 id="h">hello</h1><img id="img" src="/site/red.png"></body></html>
"#;

const CSS: &str = "h1 { color: rgb(1, 2, 3); }\n";

const JS: &str = r#"window.addEventListener("load", function () {
  var color = getComputedStyle(document.getElementById("h")).color;
  var width = document.getElementById("img").naturalWidth;
  document.title = "verdict color=" + color + " width=" + width;
});
"#;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|p| have(p))
}

#[test]
fn headless_chromium_renders_a_page_with_its_css_script_and_image() {
    let Some(browser) = chromium() else {
        eprintln!("NOTE: chromium (Debian package) is not installed; skipping the browser test");
        return;
    };
    let s = Server::start();
    let site = s.root.join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("index.html"), PAGE).unwrap();
    std::fs::write(site.join("look.css"), CSS).unwrap();
    std::fs::write(site.join("check.js"), JS).unwrap();
    std::fs::write(site.join("red.png"), red_png()).unwrap();
    let profile = TempDir::new("chromium");
    let out = Command::new("timeout")
        .args(["60", browser, "--headless", "--no-sandbox", "--disable-gpu"])
        .args([
            "--no-first-run",
            "--disable-extensions",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .arg("--dump-dom")
        .arg(s.url("/site/"))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<title>verdict color=rgb(1, 2, 3) width=2</title>"),
        "the page did not render with its CSS and image:\n{dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = s.log_lines(4).join("\n");
    for resource in [
        "/site/ ",
        "/site/look.css ",
        "/site/check.js ",
        "/site/red.png ",
    ] {
        assert!(
            log.contains(&format!("\"GET {resource}HTTP/1.1\" 200 ")),
            "{resource} not fetched:\n{log}"
        );
    }
}
