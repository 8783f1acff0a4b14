//! The file mappings of a process, from `/proc/PID/maps`: which file (and where in it)
//! an address belongs to.

/// One mapping of a file.
#[derive(Debug, Clone)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    /// Offset in the file of `start`.
    pub offset: u64,
    pub path: String,
    /// The file's device and inode: which file the path named when it was mapped (a file
    /// replaced at the same path is another file, with other symbols).
    pub file_id: FileId,
}

/// A mapped file's device (`fe:00`) and inode, as `/proc/PID/maps` gives them.
pub type FileId = (String, u64);

/// The file-backed mappings of `pid` (anonymous ones, `[heap]`, `[vdso]`... are left out).
pub fn read(pid: i32) -> Vec<Mapping> {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/maps")) else {
        return Vec::new();
    };
    parse(&text)
}

pub fn parse(text: &str) -> Vec<Mapping> {
    let mut maps = Vec::new();
    for line in text.lines() {
        // start-end perms offset dev inode path
        let mut fields = line.splitn(6, ' ');
        let (Some(range), Some(_perms), Some(offset), Some(dev), Some(inode)) = (
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
            fields.next(),
        ) else {
            continue;
        };
        let path = fields.next().unwrap_or("").trim_start();
        if !path.starts_with('/') {
            continue;
        }
        let Some((start, end)) = range.split_once('-') else {
            continue;
        };
        let (Ok(start), Ok(end), Ok(offset), Ok(inode)) = (
            u64::from_str_radix(start, 16),
            u64::from_str_radix(end, 16),
            u64::from_str_radix(offset, 16),
            inode.parse::<u64>(),
        ) else {
            continue;
        };
        maps.push(Mapping {
            start,
            end,
            offset,
            path: path.to_string(),
            file_id: (dev.to_string(), inode),
        });
    }
    maps
}

/// The mapping holding `addr`.
pub fn find(maps: &[Mapping], addr: u64) -> Option<&Mapping> {
    maps.iter().find(|m| m.start <= addr && addr < m.end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_mappings_only() {
        let text = "\
55d0c0a00000-55d0c0a01000 r--p 00000000 fe:00 123 /usr/bin/true
55d0c0a01000-55d0c0a05000 r-xp 00001000 fe:00 123 /usr/bin/true
7ffd1000-7ffd3000 rw-p 00000000 00:00 0                          [stack]
7f0000000000-7f0000001000 rw-p 00000000 00:00 0 
7f0000001000-7f0000002000 r-xp 00002000 fe:00 9 /lib/with space.so
";
        let maps = parse(text);
        assert_eq!(maps.len(), 3);
        assert_eq!(maps[2].path, "/lib/with space.so");
        let m = find(&maps, 0x55d0c0a01234).expect("mapped");
        assert_eq!((m.offset, m.path.as_str()), (0x1000, "/usr/bin/true"));
        assert_eq!(m.file_id, ("fe:00".to_string(), 123));
        assert!(find(&maps, 0x7ffd1000).is_none());
    }
}
