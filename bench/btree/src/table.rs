//! The table the benchmark prints: one row per workload, each engine's number, btree's
//! ratio to each anchor, and whether issue 23's goal for the row is met.

/// Which way a row's numbers are better.
#[derive(Clone, Copy, PartialEq)]
pub enum Better {
    /// Operations per second.
    Higher,
    /// Bytes on disk.
    Lower,
}

/// What issue 23 asks of a row: the least (or, for sizes, the most) ratio btree/LMDB and
/// btree/SQLite, where the issue asks anything.
pub struct Goal {
    pub lmdb: Option<f64>,
    pub sqlite: Option<f64>,
}

impl Goal {
    /// At least as good as both: reads, scans, batched inserts, file sizes.
    pub const BOTH: Goal = Goal {
        lmdb: Some(1.0),
        sqlite: Some(1.0),
    };
    /// At least as good as SQLite: single-insert commits (LMDB's are not a goal).
    pub const SQLITE: Goal = Goal {
        lmdb: None,
        sqlite: Some(1.0),
    };
    /// Shown for information; the issue sets no goal.
    pub const NONE: Goal = Goal {
        lmdb: None,
        sqlite: None,
    };
}

pub struct Row {
    pub label: String,
    /// btree, LMDB, SQLite.
    pub values: [f64; 3],
    pub better: Better,
    pub goal: Goal,
}

impl Row {
    /// btree's number over the anchor's: for sizes, below 1.0 is better.
    fn ratio(&self, anchor: usize) -> f64 {
        self.values[0] / self.values[anchor]
    }

    fn value(&self, v: f64) -> String {
        match self.better {
            Better::Higher => format!("{v:.0}"),
            Better::Lower => format!("{:.1}", v / 1048576.0),
        }
    }

    /// "met (...)" or "**not met** (...)", naming each anchor the goal has.
    fn verdict(&self) -> String {
        let mut parts = Vec::new();
        let mut met = true;
        for (anchor, name, want) in [(1, "LMDB", self.goal.lmdb), (2, "SQLite", self.goal.sqlite)] {
            let Some(want) = want else { continue };
            let r = self.ratio(anchor);
            let ok = match self.better {
                Better::Higher => r >= want,
                Better::Lower => r <= want,
            };
            met &= ok;
            let op = if self.better == Better::Higher {
                ">="
            } else {
                "<="
            };
            parts.push((format!("{op} {want:.1}x {name}"), ok));
        }
        if parts.is_empty() {
            return "- (no goal)".into();
        }
        if met {
            let parts: Vec<_> = parts.into_iter().map(|(goal, _)| goal).collect();
            return format!("met ({})", parts.join(", "));
        }
        // Which half of the goal failed, when the row has two.
        let parts: Vec<_> = parts
            .into_iter()
            .map(|(goal, ok)| format!("{goal}: {}", if ok { "yes" } else { "no" }))
            .collect();
        format!("**not met** ({})", parts.join(", "))
    }
}

/// The table in Markdown.
pub fn render(rows: &[Row]) -> String {
    let mut out = String::from(
        "| workload | btree | LMDB | SQLite | btree/LMDB | btree/SQLite | goal |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        out += &format!(
            "| {} | {} | {} | {} | {:.2} | {:.2} | {} |\n",
            r.label,
            r.value(r.values[0]),
            r.value(r.values[1]),
            r.value(r.values[2]),
            r.ratio(1),
            r.ratio(2),
            r.verdict()
        );
    }
    out
}
