//! The config file's grammar: lines, each one of
//!
//! - `name value...;`, a directive (at the top, or inside a group);
//! - `group NAME {`, the start of a group's block, and `}` its end (groups do not nest);
//! - empty, or a comment (`#` to the end of the line).
//!
//! Every directive but `listen` (top) and `server` (group) may appear once in its place.
//! After the last line the whole is checked: at least one `listen`, each naming a group that
//! exists, each group with at least one `server`, no name or address twice. Every mistake is
//! an [`Error`] with the line it is on.

use super::values;
use super::{Balance, Config, Error, Forward, GroupConf, ListenConf, ProxyHeader};
use netcore::config_file::{self, Line};
use std::path::Path;

/// Upper bounds that keep a typo from asking for absurd resources.
const MAX_CONNECTIONS: usize = 1 << 20;
const MAX_SERVERS: usize = 1024;
const MAX_LISTENERS: usize = 1024;

const TOP: &[&str] = &[
    "listen",
    "connect_timeout",
    "idle_timeout",
    "total_timeout",
    "max_connections",
    "max_pipes",
    "shutdown_timeout",
    "forward",
    "pipe_size",
];
const IN_GROUP: &[&str] = &[
    "server",
    "balance",
    "max_fails",
    "fail_timeout",
    "health_check",
    "send_proxy",
];

/// A group being read: its settings, the line it opened on, the directives seen in it.
struct Open {
    group: GroupConf,
    line: usize,
    seen: Vec<&'static str>,
}

/// Parses the text of the config file `file`.
pub(crate) fn parse(text: &str, file: &Path) -> Result<Config, Error> {
    let error = |line: usize, message: String| Error {
        file: file.to_path_buf(),
        line,
        message,
    };
    let mut c = Config::default();
    let mut seen: Vec<&'static str> = Vec::new();
    let mut group_lines: Vec<usize> = Vec::new();
    let mut listen_lines: Vec<usize> = Vec::new();
    let mut open: Option<Open> = None;
    for (line_no, line) in config_file::lines(text) {
        let err = |message: String| error(line_no, message);
        let (key, args) = match line.map_err(err)? {
            Line::Close => {
                let Some(o) = open.take() else {
                    return Err(err("\"}\" without a group to close".into()));
                };
                if c.groups.iter().any(|g| g.name == o.group.name) {
                    return Err(error(
                        o.line,
                        format!("group \"{}\" is defined twice", o.group.name),
                    ));
                }
                c.groups.push(o.group);
                group_lines.push(o.line);
                continue;
            }
            Line::Open { words, text: line } => {
                if let Some(o) = &open {
                    return Err(err(format!(
                        "a block inside group \"{}\" (opened on line {}): groups do not nest",
                        o.group.name, o.line
                    )));
                }
                let name = match words.as_slice() {
                    ["group", name] => values::name(name).map_err(err)?,
                    _ => return Err(err(format!("expected \"group NAME {{\", got {line:?}"))),
                };
                open = Some(Open {
                    group: GroupConf::new(name),
                    line: line_no,
                    seen: Vec::new(),
                });
                continue;
            }
            Line::Directive(d) => (d.key, d.args),
        };
        if let Some(a) = args.iter().find(|a| a.contains([';', '{', '}'])) {
            return Err(err(format!("unexpected character in \"{a}\"")));
        }
        match &mut open {
            Some(o) => {
                let Some(&d) = IN_GROUP.iter().find(|d| **d == key) else {
                    let hint = if TOP.contains(&key) {
                        " (it belongs outside the group)"
                    } else {
                        ""
                    };
                    return Err(err(format!(
                        "unknown directive \"{key}\" in group \"{}\"{hint}",
                        o.group.name
                    )));
                };
                once(&mut o.seen, d, "server").map_err(err)?;
                group_directive(&mut o.group, d, &args).map_err(err)?;
            }
            None => {
                let Some(&d) = TOP.iter().find(|d| **d == key) else {
                    let hint = if IN_GROUP.contains(&key) {
                        " (it belongs inside a group { ... })"
                    } else {
                        ""
                    };
                    return Err(err(format!("unknown directive \"{key}\"{hint}")));
                };
                once(&mut seen, d, "listen").map_err(err)?;
                if d == "listen" {
                    listen_lines.push(line_no);
                }
                top_directive(&mut c, d, &args).map_err(err)?;
            }
        }
    }
    if let Some(o) = open {
        return Err(error(
            o.line,
            format!("group \"{}\" is not closed with \"}}\"", o.group.name),
        ));
    }
    check(&c, &group_lines, &listen_lines).map_err(|(line, m)| error(line, m))?;
    Ok(c)
}

/// Refuses a directive seen before in its place, unless it is the repeatable one.
fn once(seen: &mut Vec<&'static str>, d: &'static str, repeatable: &str) -> Result<(), String> {
    if d != repeatable {
        if seen.contains(&d) {
            return Err(format!("\"{d}\" directive is duplicate"));
        }
        seen.push(d);
    }
    Ok(())
}

fn one<'a>(d: &str, args: &[&'a str]) -> Result<&'a str, String> {
    match args {
        [v] => Ok(v),
        _ => Err(format!("\"{d}\" takes one value, got {}", args.len())),
    }
}

fn top_directive(c: &mut Config, d: &str, args: &[&str]) -> Result<(), String> {
    match d {
        "listen" => {
            let [addr, group] = args else {
                return Err(format!(
                    "\"listen\" takes an address and a group (listen ADDR:PORT GROUP), got {} values",
                    args.len()
                ));
            };
            if c.listeners.len() >= MAX_LISTENERS {
                return Err(format!("more than {MAX_LISTENERS} listeners"));
            }
            c.listeners.push(ListenConf {
                addr: values::addr(addr)?,
                group: values::name(group)?.to_owned(),
            });
        }
        "connect_timeout" => c.connect_timeout = values::duration(one(d, args)?)?,
        "idle_timeout" => c.idle_timeout = values::duration(one(d, args)?)?,
        "total_timeout" => c.total_timeout = values::duration_or_off(one(d, args)?)?,
        "shutdown_timeout" => c.shutdown_timeout = values::duration(one(d, args)?)?,
        "max_connections" => c.max_connections = values::number(one(d, args)?, 1, MAX_CONNECTIONS)?,
        "max_pipes" => c.max_pipes = Some(values::number(one(d, args)?, 0, MAX_CONNECTIONS)?),
        "forward" => c.forward = Forward::parse(one(d, args)?)?,
        "pipe_size" => c.pipe_size = values::size(one(d, args)?)?,
        _ => unreachable!("every directive of TOP is matched"),
    }
    Ok(())
}

fn group_directive(g: &mut GroupConf, d: &str, args: &[&str]) -> Result<(), String> {
    let v = one(d, args)?;
    match d {
        "server" => {
            if g.servers.len() >= MAX_SERVERS {
                return Err(format!("more than {MAX_SERVERS} servers in a group"));
            }
            let a = values::addr(v)?;
            if g.servers.contains(&a) {
                return Err(format!("server {a} is listed twice"));
            }
            g.servers.push(a);
        }
        "balance" => {
            g.balance = match v {
                "round-robin" => Balance::RoundRobin,
                "least-connections" => Balance::LeastConnections,
                _ => {
                    return Err(format!(
                        "\"{v}\": expected \"round-robin\" or \"least-connections\""
                    ))
                }
            }
        }
        "max_fails" => g.max_fails = values::number(v, 0, 1000)? as u32,
        "fail_timeout" => g.fail_timeout = values::duration(v)?,
        "health_check" => g.health_check = values::duration_or_off(v)?,
        "send_proxy" => {
            g.send_proxy = match v {
                "v1" => Some(ProxyHeader::V1),
                "v2" => Some(ProxyHeader::V2),
                "off" => None,
                _ => return Err(format!("\"{v}\": expected \"v1\", \"v2\" or \"off\"")),
            }
        }
        _ => unreachable!("every directive of IN_GROUP is matched"),
    }
    Ok(())
}

/// The checks on the whole: `(line, message)`.
fn check(c: &Config, group_lines: &[usize], listen_lines: &[usize]) -> Result<(), (usize, String)> {
    if c.listeners.is_empty() {
        return Err((0, "no \"listen\": nothing to serve".into()));
    }
    for (g, &line) in c.groups.iter().zip(group_lines) {
        if g.servers.is_empty() {
            return Err((line, format!("group \"{}\" has no \"server\"", g.name)));
        }
    }
    for (i, (l, &line)) in c.listeners.iter().zip(listen_lines).enumerate() {
        if c.group(&l.group).is_none() {
            return Err((
                line,
                format!("listen {}: no group \"{}\" is defined", l.addr, l.group),
            ));
        }
        if l.addr.port() != 0 && c.listeners[..i].iter().any(|o| o.addr == l.addr) {
            return Err((line, format!("listen {} is given twice", l.addr)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn parse_str(text: &str) -> Result<Config, Error> {
        parse(text, Path::new("p.conf"))
    }

    fn err(text: &str) -> String {
        parse_str(text).unwrap_err().to_string()
    }

    #[test]
    fn a_full_file() {
        let c = parse_str(
            "# proxy\n\
             connect_timeout 2s;\n\
             total_timeout 1h; # a comment\n\
             group web {\n\
             \x20   server 127.0.0.1:9000;\n\
             \x20   server 127.0.0.1:9001;\n\
             \x20   balance least-connections;\n\
             \x20   max_fails 3;\n\
             \x20   fail_timeout 500ms;\n\
             \x20   health_check 2s;\n\
             \x20   send_proxy v2;\n\
             }\n\
             group db { server 127.0.0.1:5432; }\n",
        );
        // A one-line group is not the grammar: `{` must end its line.
        assert!(c.is_err());
        let c = parse_str(
            "connect_timeout 2s;\n\
             total_timeout 1h;\n\
             forward copy;\n\
             pipe_size 1m;\n\
             max_pipes 0;\n\
             group web {\n\
             server 127.0.0.1:9000;\n\
             server 127.0.0.1:9001;\n\
             balance least-connections;\n\
             max_fails 3;\n\
             fail_timeout 500ms;\n\
             health_check 2s;\n\
             send_proxy v2;\n\
             }\n\
             group db {\n\
             server 127.0.0.1:5432;\n\
             }\n\
             listen 127.0.0.1:8080 web;\n\
             listen 127.0.0.1:8081 db;\n\
             listen 127.0.0.1:8082 web;\n",
        )
        .unwrap();
        assert_eq!(c.listeners.len(), 3);
        assert_eq!(c.forward, Forward::Copy);
        assert_eq!(c.pipe_size, 1 << 20);
        assert_eq!((c.max_pipes, c.pipes()), (Some(0), 0));
        assert_eq!(c.connect_timeout, Duration::from_secs(2));
        assert_eq!(c.total_timeout, Some(Duration::from_secs(3600)));
        let web = c.group("web").unwrap();
        assert_eq!(web.servers.len(), 2);
        assert_eq!(web.balance, Balance::LeastConnections);
        assert_eq!(web.max_fails, 3);
        assert_eq!(web.fail_timeout, Duration::from_millis(500));
        assert_eq!(web.health_check, Some(Duration::from_secs(2)));
        assert_eq!(web.send_proxy, Some(ProxyHeader::V2));
        assert_eq!(c.group("db").unwrap().balance, Balance::RoundRobin);
    }

    #[test]
    fn mistakes_name_their_line() {
        let g = "group g {\nserver 127.0.0.1:1;\n}\n";
        for (text, want) in [
            ("listen 127.0.0.1:1 g\n", "p.conf:1: missing \";\""),
            (
                &format!("{g}listen 127.0.0.1:1 g;\nfoo 1;\n") as &str,
                "p.conf:5: unknown directive \"foo\"",
            ),
            (
                "server 127.0.0.1:1;\n",
                "p.conf:1: unknown directive \"server\" (it belongs inside",
            ),
            (
                "group g {\nlisten 127.0.0.1:1 g;\n}\n",
                "p.conf:2: unknown directive \"listen\" in group \"g\" (it belongs outside",
            ),
            (
                "group g {\nserver 127.0.0.1:1;\n",
                "p.conf:1: group \"g\" is not closed",
            ),
            ("}\n", "p.conf:1: \"}\" without a group"),
            (
                "group g {\ngroup h {\n",
                "p.conf:2: a block inside group \"g\"",
            ),
            ("group a b {\n", "p.conf:1: expected \"group NAME {\""),
            (
                "group g {\n}\nlisten 127.0.0.1:1 g;\n",
                "p.conf:1: group \"g\" has no \"server\"",
            ),
            (
                &format!("{g}{g}listen 127.0.0.1:1 g;\n"),
                "p.conf:4: group \"g\" is defined twice",
            ),
            (
                &format!("{g}listen 127.0.0.1:1 h;\n"),
                "p.conf:4: listen 127.0.0.1:1: no group \"h\"",
            ),
            (
                &format!("{g}listen 127.0.0.1:1;\n"),
                "p.conf:4: \"listen\" takes an address and a group",
            ),
            (
                &format!("{g}listen 127.0.0.1:1 g;\nlisten 127.0.0.1:1 g;\n"),
                "p.conf:5: listen 127.0.0.1:1 is given twice",
            ),
            (g, "p.conf: no \"listen\""),
            ("idle_timeout 5x;\n", "p.conf:1: \"5x\" is not a duration"),
            (
                "idle_timeout 1s;\nidle_timeout 2s;\n",
                "p.conf:2: \"idle_timeout\" directive is duplicate",
            ),
            ("max_connections 0;\n", "p.conf:1: 0 is out of range"),
            ("max_pipes -1;\n", "p.conf:1: \"-1\" is not a number"),
            ("pipe_size 1g;\n", "p.conf:1: \"1g\" is not a size"),
            (
                "pipe_size 1k;\n",
                "p.conf:1: 1k is out of range (4k to 16m)",
            ),
            (
                "forward zero-copy;\n",
                "p.conf:1: \"zero-copy\": expected \"splice-auto\", \"splice\" or \"copy\"",
            ),
            (
                "group g {\nbalance random;\n",
                "p.conf:2: \"random\": expected \"round-robin\"",
            ),
            (
                "group g {\nsend_proxy v3;\n",
                "p.conf:2: \"v3\": expected \"v1\"",
            ),
            (
                "group g {\nserver 127.0.0.1:1;\nserver 127.0.0.1:1;\n",
                "p.conf:3: server 127.0.0.1:1 is listed twice",
            ),
            (
                "group g {\nserver nowhere;\n",
                "p.conf:2: \"nowhere\": expected ADDRESS:PORT",
            ),
            (
                "group g {\nserver a b;\n",
                "p.conf:2: \"server\" takes one value, got 2",
            ),
            ("listen 1 {x;\n", "p.conf:1: unexpected character"),
        ] {
            let got = err(text);
            assert!(got.starts_with(want), "{text:?}: {got}");
        }
    }
}
