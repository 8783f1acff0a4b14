//! `bench-plot`: the benchmarks' CSV files drawn as the SVG charts of docs/progression.md.
//!
//!   bench-plot chat CSV OUT.svg [--caption LINE]...
//!       bench/chat/run's CSV (chat-bench suite --csv): delivered messages per second and
//!       p99 latency by subscriber count, one line per chat model and one for Redis: the
//!       plain rows (`transport` plain, or no such column); the TLS rows stay in the table.
//!   bench-plot httpd-workers CSV OUT.svg [--caption LINE]...
//!       bench/httpd/workers's CSV: requests per second and p99 latency by concurrency,
//!       worker threads against worker processes.
//!
//! Each chart has two panels side by side, throughput (linear) and p99 latency (log), over a
//! logarithmic x axis; a point whose run was void is left out and named under the chart.
//! bench/plot/charts runs the benchmarks and this program.

use plotters::prelude::*;
use std::collections::HashMap;
use std::error::Error;
use std::process::ExitCode;

type Res<T> = Result<T, Box<dyn Error>>;

/// One CSV row, by column name.
type Row = HashMap<String, String>;

/// Parses a CSV file with a header line. Cells hold no commas, except the last column's,
/// which takes the rest of the line.
fn parse_csv(text: &str) -> Res<Vec<Row>> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines.next().ok_or("empty CSV file")?.split(',').collect();
    Ok(lines
        .map(|l| {
            header
                .iter()
                .map(|h| h.to_string())
                .zip(l.splitn(header.len(), ',').map(str::to_string))
                .collect()
        })
        .collect())
}

fn cell<'a>(row: &'a Row, name: &str) -> Res<&'a str> {
    row.get(name)
        .map(String::as_str)
        .ok_or_else(|| format!("CSV row without a {name} column: {row:?}").into())
}

/// A number, or None for an empty cell (a void run) or `nan`.
fn number(row: &Row, name: &str) -> Res<Option<f64>> {
    let s = cell(row, name)?.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let v: f64 = s
        .parse()
        .map_err(|e| format!("column {name}: {s:?} is not a number: {e}"))?;
    Ok(v.is_finite().then_some(v))
}

/// A point: x, throughput, p99 latency in ms.
type Point = (f64, f64, Option<f64>);
/// Points by series name, in first-seen order.
type Groups = Vec<(String, Vec<Point>)>;

/// A line on both panels.
struct Series {
    name: String,
    color: RGBColor,
    points: Vec<Point>,
}

struct Chart {
    title: String,
    x_desc: String,
    left_title: String,
    left_desc: String,
    series: Vec<Series>,
    /// Lines under the chart: the void runs, then the caption.
    notes: Vec<String>,
}

/// The chat models in the order a learner meets them, then the anchor.
const CHAT_ORDER: [&str; 5] = ["threads", "pool", "select", "poll", "epoll"];

fn chat_color(model: &str) -> RGBColor {
    match model {
        "threads" => RGBColor(214, 39, 40),
        "pool" => RGBColor(255, 127, 14),
        "select" => RGBColor(44, 160, 44),
        "poll" => RGBColor(148, 103, 189),
        "epoll" => RGBColor(31, 119, 180),
        _ => RGBColor(40, 40, 40),
    }
}

/// Groups rows into series by `key`, keeping the points of runs that were not void.
fn group(rows: &[Row], key: &str, x: &str, y: &str, lat: &str) -> Res<(Groups, Vec<String>)> {
    let mut out: Groups = Vec::new();
    let mut void = Vec::new();
    for row in rows {
        let name = cell(row, key)?.to_string();
        let xv = number(row, x)?.ok_or_else(|| format!("a row without {x}: {row:?}"))?;
        let i = match out.iter().position(|(n, _)| *n == name) {
            Some(i) => i,
            None => {
                out.push((name.clone(), Vec::new()));
                out.len() - 1
            }
        };
        match number(row, y)? {
            Some(yv) => out[i].1.push((xv, yv, number(row, lat)?)),
            None => {
                let why = row.get("void").map(String::as_str).unwrap_or("");
                void.push(format!("{name} at {xv}: no result ({why})"));
            }
        }
    }
    for (_, points) in &mut out {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    Ok((out, void))
}

/// Whether a chat row is a plain TCP run (CSV files from before the `transport` column are).
fn plain(row: &Row) -> bool {
    row.get("transport").is_none_or(|t| t == "plain")
}

fn chat_chart(rows: &[Row]) -> Res<Chart> {
    let rows: Vec<Row> = rows.iter().filter(|r| plain(r)).cloned().collect();
    let (groups, void) = group(&rows, "server", "subscribers", "delivered_per_s", "p99_ms")?;
    let mut series: Vec<Series> = Vec::new();
    for model in CHAT_ORDER {
        if let Some((_, points)) = groups.iter().find(|(n, _)| n == &format!("chat {model}")) {
            series.push(Series {
                name: format!("chat --model {model}"),
                color: chat_color(model),
                points: points.clone(),
            });
        }
    }
    for (name, points) in &groups {
        let known = CHAT_ORDER.iter().any(|m| *name == format!("chat {m}"));
        if !known {
            let label = match name.strip_prefix("redis ") {
                Some(v) => format!("Redis {v} pub/sub (the anchor)"),
                None => name.clone(),
            };
            series.push(Series {
                name: label,
                color: chat_color(name),
                points: points.clone(),
            });
        }
    }
    Ok(Chart {
        title: "chat: the five concurrency models against Redis, one publisher, 64-byte messages"
            .into(),
        x_desc: "subscribers (clients in the room)".into(),
        left_title: "delivered messages per second".into(),
        left_desc: "messages/s".into(),
        series,
        notes: void,
    })
}

fn httpd_chart(rows: &[Row]) -> Res<Chart> {
    let (groups, void) = group(rows, "model", "connections", "requests_per_s", "p99_ms")?;
    let n = rows
        .first()
        .and_then(|r| r.get("workers"))
        .cloned()
        .unwrap_or_else(|| "N".into());
    let mut series = Vec::new();
    for (model, color, label) in [
        (
            "threads",
            RGBColor(31, 119, 180),
            format!("{n} worker threads, one process (--threads {n})"),
        ),
        (
            "processes",
            RGBColor(255, 127, 14),
            format!("{n} worker processes of one thread (--workers {n} --threads 1)"),
        ),
    ] {
        if let Some((_, points)) = groups.iter().find(|(m, _)| m == model) {
            series.push(Series {
                name: label,
                color,
                points: points.clone(),
            });
        }
    }
    Ok(Chart {
        title: format!(
            "httpd: {n} worker threads against {n} worker processes, 1 KiB file, keep-alive"
        ),
        x_desc: "concurrent connections (wrk -c)".into(),
        left_title: "requests per second".into(),
        left_desc: "requests/s".into(),
        series,
        notes: void,
    })
}

/// 1234567 -> "1.2M", 45000 -> "45k".
fn si(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

/// Milliseconds, with the digits a log axis needs.
fn ms(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else if v >= 0.1 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn draw(chart: &Chart, out: &str) -> Res<()> {
    let points: Vec<&Point> = chart.series.iter().flat_map(|s| &s.points).collect();
    if points.is_empty() {
        return Err("no points to draw (every run void?)".into());
    }
    let x_lo = points.iter().map(|p| p.0).fold(f64::MAX, f64::min) / 1.4;
    let x_hi = points.iter().map(|p| p.0).fold(f64::MIN, f64::max) * 1.4;
    let y_hi = points.iter().map(|p| p.1).fold(0.0, f64::max) * 1.12;
    let lats: Vec<f64> = points
        .iter()
        .filter_map(|p| p.2)
        .filter(|v| *v > 0.0)
        .collect();
    let (l_lo, l_hi) = if lats.is_empty() {
        (0.01, 1.0)
    } else {
        (
            lats.iter().copied().fold(f64::MAX, f64::min) / 1.6,
            lats.iter().copied().fold(0.0, f64::max) * 1.6,
        )
    };

    let footer = 10 + 18 * chart.notes.len() as u32;
    let (width, height) = (1100u32, 470 + footer);
    let root = SVGBackend::new(out, (width, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(&chart.title, ("sans-serif", 20))?;
    let body_height = root.dim_in_pixel().1 as i32 - footer as i32;
    let (body, foot) = root.split_vertically(body_height);
    let panels = body.split_evenly((1, 2));

    let mut left = ChartBuilder::on(&panels[0])
        .caption(&chart.left_title, ("sans-serif", 16))
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(62)
        .build_cartesian_2d((x_lo..x_hi).log_scale(), 0f64..y_hi)?;
    left.configure_mesh()
        .x_desc(chart.x_desc.as_str())
        .y_desc(chart.left_desc.as_str())
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| si(*v))
        .light_line_style(WHITE)
        .draw()?;
    for s in &chart.series {
        let line: Vec<(f64, f64)> = s.points.iter().map(|p| (p.0, p.1)).collect();
        left.draw_series(LineSeries::new(line.clone(), s.color.stroke_width(2)))?;
        left.draw_series(line.iter().map(|&p| Circle::new(p, 3, s.color.filled())))?;
    }

    let mut right = ChartBuilder::on(&panels[1])
        .caption(
            "p99 latency, publish or request to receipt",
            ("sans-serif", 16),
        )
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(56)
        .build_cartesian_2d((x_lo..x_hi).log_scale(), (l_lo..l_hi).log_scale())?;
    right
        .configure_mesh()
        .x_desc(chart.x_desc.as_str())
        .y_desc("ms (log scale)")
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| ms(*v))
        .light_line_style(WHITE)
        .draw()?;
    for s in &chart.series {
        let line: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|p| p.2.filter(|l| *l > 0.0).map(|l| (p.0, l)))
            .collect();
        let color = s.color;
        right
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        right.draw_series(line.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    right
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 13))
        .draw()?;

    let grey = BLACK.mix(0.75);
    let style = ("sans-serif", 13).into_text_style(&foot).color(&grey);
    for (i, line) in chart.notes.iter().enumerate() {
        foot.draw_text(line, &style, (14, 4 + 18 * i as i32))?;
    }
    root.present()?;
    Ok(())
}

fn run(args: &[String]) -> Res<()> {
    let usage = "usage: bench-plot chat|httpd-workers CSV OUT.svg [--caption LINE]...";
    let [kind, csv, out, rest @ ..] = args else {
        return Err(usage.into());
    };
    let mut captions = Vec::new();
    let mut rest = rest.iter();
    while let Some(a) = rest.next() {
        match (a.as_str(), rest.next()) {
            ("--caption", Some(line)) => captions.push(line.clone()),
            _ => return Err(usage.into()),
        }
    }
    let text = std::fs::read_to_string(csv).map_err(|e| format!("{csv}: {e}"))?;
    let rows = parse_csv(&text).map_err(|e| format!("{csv}: {e}"))?;
    let mut chart = match kind.as_str() {
        "chat" => chat_chart(&rows)?,
        "httpd-workers" => httpd_chart(&rows)?,
        _ => return Err(usage.into()),
    };
    chart.notes.extend(captions);
    draw(&chart, out).map_err(|e| format!("{out}: {e}"))?;
    println!(
        "bench-plot: {out} ({} lines from {csv})",
        chart.series.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-plot: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHAT: &str = "subscribers,server,delivered_per_s,p99_ms,server_cpu,server_ns_per_msg,void
10,redis 7.0.15,900000,1.200,0.990,1100,
10,chat epoll,2000000,0.800,0.990,495,
100,chat epoll,2500000,4.000,0.990,396,
10,chat threads,400000,2.000,1.500,3750,
100,chat threads,,,,,timeout; 3 of 4
";

    #[test]
    fn chat_rows_become_one_series_per_server_with_void_runs_named() {
        let chart = chat_chart(&parse_csv(CHAT).unwrap()).unwrap();
        let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "chat --model threads",
                "chat --model epoll",
                "Redis 7.0.15 pub/sub (the anchor)"
            ]
        );
        assert_eq!(
            chart.series[1].points,
            [(10.0, 2e6, Some(0.8)), (100.0, 2.5e6, Some(4.0))]
        );
        assert_eq!(chart.series[0].points.len(), 1);
        assert_eq!(
            chart.notes,
            ["chat threads at 100: no result (timeout; 3 of 4)"]
        );
    }

    #[test]
    fn tls_rows_are_left_to_the_table_and_plain_rows_drawn() {
        let csv =
            "subscribers,server,transport,delivered_per_s,p99_ms,server_cpu,server_ns_per_msg,void
10,redis 7.0.15,plain,900000,1.200,0.990,1100,
10,chat epoll,plain,2000000,0.800,0.990,495,
100,redis 7.0.15 TLS,tls,500000,3.000,0.990,1980,
100,chat epoll TLS,tls,1200000,2.000,0.990,825,
100,chat epoll kTLS,ktls,,,,,not available here: no tls ULP
";
        let chart = chat_chart(&parse_csv(csv).unwrap()).unwrap();
        let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            ["chat --model epoll", "Redis 7.0.15 pub/sub (the anchor)"]
        );
        assert_eq!(chart.series[0].points, [(10.0, 2e6, Some(0.8))]);
        assert!(chart.notes.is_empty(), "{:?}", chart.notes);
    }

    #[test]
    fn a_chart_is_drawn_as_svg_with_its_text() {
        let chart = chat_chart(&parse_csv(CHAT).unwrap()).unwrap();
        let out = std::env::temp_dir().join(format!("bench-plot-test-{}.svg", std::process::id()));
        draw(&chart, out.to_str().unwrap()).unwrap();
        let svg = std::fs::read_to_string(&out).unwrap();
        std::fs::remove_file(&out).unwrap();
        assert!(svg.contains("<svg"), "{svg:.200}");
        assert!(
            svg.contains("chat --model epoll"),
            "the legend is text in the file"
        );
        assert!(svg.contains("delivered messages per second"));
    }

    #[test]
    fn httpd_rows_become_threads_and_processes() {
        let csv = "model,workers,connections,requests_per_s,p99_ms
threads,2,10,50000,0.5
processes,2,10,48000,0.6
threads,2,100,60000,3
processes,2,100,nan,nan
";
        let chart = httpd_chart(&parse_csv(csv).unwrap()).unwrap();
        assert_eq!(chart.series.len(), 2);
        assert!(chart.title.contains("2 worker threads"));
        assert_eq!(chart.series[0].points.len(), 2);
        assert_eq!(chart.series[1].points, [(10.0, 48000.0, Some(0.6))]);
        assert_eq!(chart.notes.len(), 1);
    }

    #[test]
    fn axis_labels_read_well() {
        assert_eq!(si(1_234_567.0), "1.2M");
        assert_eq!(si(45_000.0), "45k");
        assert_eq!(si(800.0), "800");
        assert_eq!(ms(0.05), "0.050");
        assert_eq!(ms(2.5), "2.5");
        assert_eq!(ms(120.0), "120");
    }
}
