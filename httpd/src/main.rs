//! `httpd`: a static-file HTTP/1.0 and 1.1 server on epoll worker threads.
//!
//! ```sh
//! httpd --listen 127.0.0.1:8080 --root ./public --threads 2 --access-log access.log
//! httpd --config /etc/httpd.conf --threads 4      # flags override the file
//! httpd --config /etc/httpd.conf --check-config   # like `nginx -t`
//! ```
//!
//! The server is the library (`lib.rs`, its modules in layers), and so is the command line
//! (`cli.rs`: the flags laid over the config file, then the server or the master): this file
//! only calls [`httpd::main`].

fn main() {
    httpd::main();
}
