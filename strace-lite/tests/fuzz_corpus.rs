//! Replays the fuzz target's committed corpus (`fuzz/corpus/strace_decode`) through the
//! same function libFuzzer calls, so a regression shows in `cargo test` without libFuzzer;
//! and holds the corpus's seeds: calls of the differential test programs
//! (`tests/programs`), their registers and the memory they point at written out as the
//! target reads them, with the line strace prints for each.

use std::path::{Path, PathBuf};

#[path = "../../fuzz/replay.rs"]
mod replay;

use strace_lite::fuzzing::{self, Input, Range, DUMP, HEX, I386, NO_EXIT, VERBOSE, XLAT};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/strace_decode")
}

/// Runs the target on every file of its corpus; the corpus must not be empty.
#[test]
fn strace_decode_corpus() {
    replay::replay("strace_decode", fuzzing::decode);
}

/// Every seed prints the line strace prints for it.
#[test]
fn the_seeds_print_as_strace() {
    for (name, seed, line) in seeds() {
        let traced = fuzzing::trace(&seed);
        // Empty: not compared (the line shows dates in local time).
        assert!(
            line.is_empty() || traced.line == line,
            "seed {name}: {}",
            traced.line
        );
        assert_eq!(fuzzing::check(&traced), Ok(()), "seed {name}");
    }
}

/// Each seed is in the corpus as the target reads it (`cargo test -p strace-lite --test
/// fuzz_corpus -- --ignored` writes them after a change of the seeds or of the layout).
#[test]
fn the_seeds_are_in_the_corpus() {
    for (name, seed, _) in seeds() {
        let path = corpus().join(name);
        let bytes = std::fs::read(&path).unwrap_or_default();
        assert_eq!(bytes, seed.encode(), "{} is not its seed", path.display());
    }
}

#[test]
#[ignore = "writes the seeds into fuzz/corpus/strace_decode"]
fn write_seeds() {
    std::fs::create_dir_all(corpus()).unwrap();
    for (name, seed, _) in seeds() {
        std::fs::write(corpus().join(name), seed.encode()).unwrap();
    }
}

/// A call: its number, arguments, return value and the tracee's memory.
struct Seed(Input);

impl Seed {
    fn new(nr: u16, args: &[u64], rval: i64) -> Seed {
        let mut a = [0; 6];
        a[..args.len()].copy_from_slice(args);
        Seed(Input {
            string_limit: 32,
            nr,
            args: a,
            rval,
            ..Input::default()
        })
    }

    /// `bytes` at `start`, there at entry.
    fn mem(mut self, start: u64, bytes: &[u8]) -> Seed {
        self.0.ranges.push(Range {
            start,
            len: bytes.len() as u16,
            bytes: bytes.to_vec(),
            ..Range::default()
        });
        self
    }

    /// `bytes` the kernel wrote at `start`, there at exit.
    fn wrote(mut self, start: u64, bytes: &[u8]) -> Seed {
        self.0.ranges.push(Range {
            at_exit: true,
            start,
            len: bytes.len() as u16,
            bytes: bytes.to_vec(),
            ..Range::default()
        });
        self
    }

    /// `len` unreadable bytes at `start`.
    fn hole(mut self, start: u64, len: u16) -> Seed {
        self.0.ranges.push(Range {
            hole: true,
            start,
            len,
            ..Range::default()
        });
        self
    }

    fn flags(mut self, flags: u8) -> Seed {
        self.0.flags = flags;
        self
    }

    fn mode(mut self, mode: u8) -> Seed {
        self.0.mode = mode;
        self
    }

    fn sp(mut self, sp: u64) -> Seed {
        self.0.stack_pointer = sp;
        self
    }
}

/// The bytes of `words`, native-endian.
fn words(words: &[u64]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// The bytes of `ints`, native-endian.
fn ints(ints: &[i32]) -> Vec<u8> {
    ints.iter().flat_map(|w| w.to_ne_bytes()).collect()
}

/// A register holding a negative C int.
fn neg(v: i64) -> u64 {
    v as u64
}

const A: u64 = 0x10000;
const B: u64 = 0x20000;
const C: u64 = 0x30000;

/// The seeds: a name, the call, and the line strace prints for it.
fn seeds() -> Vec<(&'static str, Input, &'static str)> {
    let mut stat = words(&[0x803, 1234, 1]);
    stat.extend(ints(&[0o100644, 1000, 1000, 0]));
    stat.extend(words(&[0, 13, 4096, 8, 1_700_000_000, 5, 1_700_000_000, 0]));
    stat.extend(words(&[1_700_000_000, 0, 0, 0, 0]));
    let sigaction = words(&[0x401000, 0x0400_0000, 0x7f00_0000_1000, 0]);
    let mut uname = Vec::new();
    for field in ["Linux", "host", "6.1.0", "#1 SMP", "x86_64", "(none)"] {
        let mut f = field.as_bytes().to_vec();
        f.resize(65, 0);
        uname.extend(f);
    }
    let mut dirents = Vec::new();
    for (ino, name) in [(2u64, "."), (1, "..")] {
        dirents.extend(ino.to_ne_bytes());
        dirents.extend(24i64.to_ne_bytes());
        dirents.extend(24u16.to_ne_bytes());
        dirents.push(4);
        let mut n = name.as_bytes().to_vec();
        n.resize(5, 0);
        dirents.extend(n);
    }
    let mut sockaddr_in = vec![2, 0, 0, 80, 127, 0, 0, 1];
    sockaddr_in.resize(16, 0);
    let mut sockaddr_un = vec![1, 0];
    sockaddr_un.extend(b"/tmp/sock\0");
    let mut sockaddr_in6 = vec![10, 0, 0x1f, 0x90, 0, 0, 0, 0];
    sockaddr_in6.extend([0; 15]);
    sockaddr_in6.push(1);
    sockaddr_in6.extend([0; 4]);
    let mut epoll_event = 1u32.to_ne_bytes().to_vec();
    epoll_event.extend(3u64.to_ne_bytes());
    let mut statx = ints(&[0x7ff, 4096]);
    statx.extend(words(&[0]));
    statx.extend(ints(&[2, 0, 0]));
    statx.extend(0o40755u16.to_ne_bytes());
    statx.extend([0; 2]);
    statx.extend(words(&[2, 4096, 8, 0]));
    statx.resize(256, 0);
    let envp = b"/bin/echo\0\0\0\0\0\0\0echo\0\0\0\0hi\0\0\0\0\0\0PATH=/bin\0";
    vec![
        (
            "openat",
            Seed::new(257, &[neg(-100), A, 0x80000], 3)
                .mem(A, b"/etc/passwd\0")
                .0,
            r#"openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3"#,
        ),
        (
            "openat-creat-enoent",
            Seed::new(257, &[neg(-100), A, 0x241, 0o644], -2)
                .mem(A, b"missing/file\0")
                .0,
            r#"openat(AT_FDCWD, "missing/file", O_WRONLY|O_CREAT|O_TRUNC, 0644) = -1 ENOENT (No such file or directory)"#,
        ),
        (
            "openat-path-into-a-hole",
            Seed::new(257, &[neg(-100), A, 0], -14)
                .mem(A, b"/tmp/x")
                .hole(A + 6, 1)
                .0,
            "openat(AT_FDCWD, 0x10000, O_RDONLY) = -1 EFAULT (Bad address)",
        ),
        (
            "read-dumped",
            Seed::new(0, &[3, B, 4096], 13)
                .wrote(B, b"hello, world\n")
                .mode(DUMP)
                .0,
            r#"read(3, "hello, world\n", 4096) = 13"#,
        ),
        (
            "write",
            Seed::new(1, &[1, B, 3], 3).mem(B, b"hi\n").0,
            r#"write(1, "hi\n", 3) = 3"#,
        ),
        (
            "write-binary-hex",
            Seed::new(1, &[1, B, 4], 4)
                .mem(B, b"\x00\x01\xffa")
                .flags(1)
                .0,
            r#"write(1, "\x00\x01\xff\x61", 4) = 4"#,
        ),
        (
            "write-i386",
            Seed::new(4, &[1, B, 3], 3).mem(B, b"hi\n").mode(I386).0,
            r#"write(1, "hi\n", 3) = 3"#,
        ),
        (
            "newfstatat",
            Seed::new(262, &[3, A, B, 0x1000], 0)
                .mem(A, b"\0")
                .wrote(B, &stat)
                .0,
            r#"newfstatat(3, "", {st_mode=S_IFREG|0644, st_size=13, ...}, AT_EMPTY_PATH) = 0"#,
        ),
        (
            "newfstatat-verbose",
            Seed::new(262, &[3, A, B, 0x1000], 0)
                .mem(A, b"\0")
                .wrote(B, &stat)
                .flags(VERBOSE | 2 << 5)
                .0,
            "",
        ),
        (
            "statx",
            Seed::new(332, &[neg(-100), A, 0x100, 0x7ff, B], 0)
                .mem(A, b"/etc\0")
                .wrote(B, &statx)
                .0,
            r#"statx(AT_FDCWD, "/etc", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, {stx_mask=STATX_BASIC_STATS, stx_attributes=0, stx_mode=S_IFDIR|0755, stx_size=4096, ...}) = 0"#,
        ),
        (
            "execve",
            Seed::new(59, &[A, B, C], 0)
                .mem(A, envp)
                .mem(B, &words(&[A + 16, A + 24, 0]))
                .mem(C, &words(&[A + 32, 0]))
                .0,
            r#"execve("/bin/echo", ["echo", "hi"], 0x30000 /* 1 var */) = 0"#,
        ),
        (
            "execve-never-returns",
            Seed::new(59, &[A, B, C], 0)
                .mem(A, envp)
                .mem(B, &words(&[A + 16, A + 24]))
                .hole(B + 16, 8)
                .mode(NO_EXIT)
                .0,
            r#"execve("/bin/echo", ["echo", "hi", ... /* 0x20010 */], 0x30000) = ?"#,
        ),
        (
            "mmap",
            Seed::new(9, &[0, 8192, 3, 0x22, neg(-1), 0], 0x7f12_3456_7000).0,
            "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f1234567000",
        ),
        (
            "rt_sigaction",
            Seed::new(13, &[2, A, B, 8], 0)
                .mem(A, &sigaction)
                .wrote(B, &[0; 32])
                .0,
            "rt_sigaction(SIGINT, {sa_handler=0x401000, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x7f0000001000}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0",
        ),
        (
            "rt_sigprocmask",
            Seed::new(14, &[0, A, B, 8], 0)
                .mem(A, &words(&[2]))
                .wrote(B, &words(&[0]))
                .0,
            "rt_sigprocmask(SIG_BLOCK, [INT], [], 8) = 0",
        ),
        (
            "rt_sigreturn",
            Seed::new(15, &[], 0)
                .sp(A)
                .mem(A + 296, &words(&[1 << 16]))
                .0,
            "rt_sigreturn({mask=[CHLD]}) = 0",
        ),
        (
            "poll",
            Seed::new(7, &[A, 2, 100], 1)
                .mem(A, &[0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0])
                .wrote(A, &[0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 4, 0, 0, 0])
                .0,
            "poll([{fd=0, events=POLLIN}, {fd=1, events=POLLOUT}], 2, 100) = 1 ([{fd=0, revents=POLLIN}])",
        ),
        (
            "ppoll",
            Seed::new(271, &[A, 1, B, C, 8], 0)
                .mem(A, &[0, 0, 0, 0, 1, 0, 0, 0])
                .mem(B, &words(&[0, 500_000_000]))
                .mem(C, &words(&[0]))
                .wrote(B, &words(&[0, 0]))
                .0,
            "ppoll([{fd=0, events=POLLIN}], 1, {tv_sec=0, tv_nsec=500000000}, [], 8) = 0 (Timeout)",
        ),
        (
            "select",
            Seed::new(23, &[4, A, B, 0, C], 1)
                .mem(A, &words(&[0b1001]))
                .mem(B, &words(&[0b10]))
                .mem(C, &words(&[1, 0]))
                .wrote(A, &words(&[0b1000]))
                .wrote(B, &words(&[0]))
                .0,
            "select(4, [0 3], [1], NULL, {tv_sec=1, tv_usec=0}) = 1 (in [3], left {tv_sec=1, tv_usec=0})",
        ),
        (
            "connect-inet",
            Seed::new(42, &[3, A, 16], -111).mem(A, &sockaddr_in).0,
            r#"connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16) = -1 ECONNREFUSED (Connection refused)"#,
        ),
        (
            "bind-unix",
            Seed::new(49, &[3, A, 12], 0).mem(A, &sockaddr_un).0,
            r#"bind(3, {sa_family=AF_UNIX, sun_path="/tmp/sock"}, 12) = 0"#,
        ),
        (
            "accept4-inet6",
            Seed::new(288, &[3, A, B, 0x80000], 4)
                .mem(B, &ints(&[28]))
                .wrote(A, &sockaddr_in6)
                .wrote(B, &ints(&[28]))
                .0,
            r#"accept4(3, {sa_family=AF_INET6, sin6_port=htons(8080), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, [28], SOCK_CLOEXEC) = 4"#,
        ),
        (
            "socket",
            Seed::new(41, &[2, 0x80801, 0], 3).0,
            "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK, IPPROTO_IP) = 3",
        ),
        (
            "sendmsg-dumped",
            Seed::new(46, &[3, A, 0], 5)
                .mem(A, &words(&[0, 0, B, 2, 0, 0, 0]))
                .mem(B, &words(&[C, 3, C + 16, 2]))
                .mem(C, b"abc\0\0\0\0\0\0\0\0\0\0\0\0\0de")
                .mode(DUMP)
                .0,
            r#"sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="abc", iov_len=3}, {iov_base="de", iov_len=2}], msg_iovlen=2, msg_controllen=0, msg_flags=0}, 0) = 5"#,
        ),
        (
            "recvmsg-dumped",
            Seed::new(47, &[3, A, 0], 4)
                .mem(A, &words(&[0, 0, B, 1, 0, 0, 0]))
                .mem(B, &words(&[C, 16]))
                .wrote(C, b"pong")
                .mode(DUMP)
                .0,
            r#"recvmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="pong", iov_len=16}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 4"#,
        ),
        (
            "writev-dumped",
            Seed::new(20, &[1, B, 2], 5)
                .mem(B, &words(&[C, 3, C + 16, 2]))
                .mem(C, b"abc\0\0\0\0\0\0\0\0\0\0\0\0\0de")
                .mode(DUMP)
                .0,
            r#"writev(1, [{iov_base="abc", iov_len=3}, {iov_base="de", iov_len=2}], 2) = 5"#,
        ),
        (
            "setsockopt",
            Seed::new(54, &[3, 1, 2, A, 4], 0).mem(A, &ints(&[1])).0,
            "setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0",
        ),
        (
            "getsockopt",
            Seed::new(55, &[3, 1, 4, A, B], 0)
                .mem(B, &ints(&[4]))
                .wrote(A, &ints(&[0]))
                .0,
            "getsockopt(3, SOL_SOCKET, SO_ERROR, [0], [4]) = 0",
        ),
        (
            "futex-timeout",
            Seed::new(202, &[A, 0x80, 0, B], -110)
                .mem(B, &words(&[1, 0]))
                .0,
            "futex(0x10000, FUTEX_WAIT_PRIVATE, 0, {tv_sec=1, tv_nsec=0}) = -1 ETIMEDOUT (Connection timed out)",
        ),
        (
            "clock_gettime",
            Seed::new(228, &[1, A], 0).wrote(A, &words(&[12345, 678])).0,
            "clock_gettime(CLOCK_MONOTONIC, {tv_sec=12345, tv_nsec=678}) = 0",
        ),
        (
            "nanosleep-interrupted",
            Seed::new(35, &[A, B], -516)
                .mem(A, &words(&[0, 1_000_000]))
                .wrote(B, &words(&[0, 999_000]))
                .0,
            "nanosleep({tv_sec=0, tv_nsec=1000000}, {tv_sec=0, tv_nsec=999000}) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)",
        ),
        (
            "wait4",
            Seed::new(61, &[neg(-1), A, 0, 0], 1234)
                .wrote(A, &ints(&[0]))
                .0,
            "wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 1234",
        ),
        (
            "clone3",
            Seed::new(435, &[A, 88], 1235)
                .mem(A, &words(&[0x3d0f00, 0, B, B, 17, C, 8192, 0x7f00_0000_0000, 0, 0, 0]))
                .wrote(B, &ints(&[1235]))
                .0,
            "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x20000, parent_tid=0x20000, exit_signal=SIGCHLD, stack=0x30000, stack_size=0x2000, tls=0x7f0000000000} => {parent_tid=[1235]}, 88) = 1235",
        ),
        (
            "clone",
            Seed::new(56, &[0x3d0f00, C, A, A + 8, 0x7f00_0000_0000], 1236)
                .wrote(A, &ints(&[1236]))
                .0,
            "clone(child_stack=0x30000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, parent_tid=[1236], tls=0x7f0000000000, child_tidptr=0x10008) = 1236",
        ),
        (
            "uname",
            Seed::new(63, &[A], 0).wrote(A, &uname).flags(VERBOSE).0,
            r##"uname({sysname="Linux", nodename="host", release="6.1.0", version="#1 SMP", machine="x86_64", domainname="(none)"}) = 0"##,
        ),
        (
            "getdents64",
            Seed::new(217, &[3, A, 32768], 48).wrote(A, &dirents).0,
            "getdents64(3, 0x10000 /* 2 entries */, 32768) = 48",
        ),
        (
            "getgroups",
            Seed::new(115, &[2, A], 2).wrote(A, &ints(&[0, 27])).0,
            "getgroups(2, [0, 27]) = 2",
        ),
        (
            "setgroups-cut",
            Seed::new(116, &[3, A], -1).mem(A, &ints(&[0, 27])).0,
            "setgroups(3, [0, 27, ... /* 0x10008 */]) = -1 EPERM (Operation not permitted)",
        ),
        (
            "fcntl-getlk",
            Seed::new(72, &[3, 5, A], 0)
                .mem(A, &words(&[0, 0, 0, 0]))
                .wrote(A, &words(&[2, 0, 0, 0]))
                .0,
            "fcntl(3, F_GETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=0, l_len=0, l_pid=0}) = 0",
        ),
        (
            "ioctl-tcgets",
            Seed::new(16, &[1, 0x5401, A], -25).0,
            "ioctl(1, TCGETS, 0x10000) = -1 ENOTTY (Inappropriate ioctl for device)",
        ),
        (
            "epoll_ctl",
            Seed::new(233, &[4, 1, 3, A], 0).mem(A, &epoll_event).0,
            "epoll_ctl(4, EPOLL_CTL_ADD, 3, {events=EPOLLIN, data={u32=3, u64=3}}) = 0",
        ),
        (
            "prlimit64",
            Seed::new(302, &[0, 7, 0, A], 0)
                .wrote(A, &words(&[1024, 4096]))
                .0,
            "prlimit64(0, RLIMIT_NOFILE, NULL, {rlim_cur=1024, rlim_max=4*1024}) = 0",
        ),
        (
            "sched_getaffinity",
            Seed::new(204, &[0, 128, A], 8).wrote(A, &words(&[3])).0,
            "sched_getaffinity(0, 128, [0 1]) = 8",
        ),
        (
            "getrandom",
            Seed::new(318, &[A, 16, 1], 16)
                .wrote(A, &words(&[0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210]))
                .0,
            r#"getrandom("\xef\xcd\xab\x89\x67\x45\x23\x01\x10\x32\x54\x76\x98\xba\xdc\xfe", 16, GRND_NONBLOCK) = 16"#,
        ),
        (
            "readlink",
            Seed::new(89, &[A, B, 4096], 9)
                .mem(A, b"/proc/self/exe\0")
                .wrote(B, b"/bin/true")
                .0,
            r#"readlink("/proc/self/exe", "/bin/true", 4096) = 9"#,
        ),
        (
            "pipe2",
            Seed::new(293, &[A, 0x80000], 0).wrote(A, &ints(&[3, 4])).0,
            "pipe2([3, 4], O_CLOEXEC) = 0",
        ),
        (
            "arch_prctl",
            Seed::new(158, &[0x1002, 0x7f00_0000_0740], 0).0,
            "arch_prctl(ARCH_SET_FS, 0x7f0000000740) = 0",
        ),
        (
            "kill-raw-verbose",
            Seed::new(62, &[1234, 15], 0).flags(XLAT & (2 << 5)).0,
            "kill(1234, 15 /* SIGTERM */) = 0",
        ),
        (
            "unknown-raw",
            Seed::new(400, &[1, 2, 3, 4, 5, 6], -38).0,
            "syscall_0x190(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)",
        ),
        (
            "brk-hex",
            Seed::new(12, &[0], 0x5555_5555_9000).flags(HEX & 2).0,
            "brk(NULL) = 0x555555559000",
        ),
    ]
}

/// A forged return value of getdents64 (2^48) made strace-lite allocate that much and abort;
/// strace reads at most 1 MiB, nothing below one entry, and prints the address of a buffer
/// it cannot read (`fuzz/corpus/strace_decode/getdents-huge-rval`).
#[test]
fn getdents_reads_at_most_a_mebibyte() {
    let huge = Seed::new(217, &[3, A, 32768], 1 << 48).0;
    assert_eq!(
        fuzzing::trace(&huge).line,
        "getdents64(3, 0x10000, 32768) = 281474976710656"
    );
    let short = Seed::new(217, &[3, A, 32768], 23).0;
    assert_eq!(
        fuzzing::trace(&short).line,
        "getdents64(3, 0x10000 /* 0 entries */, 32768) = 23"
    );
}

/// epoll_wait's return value is a count of events, read as strace's print_array reads
/// them: a forged count overflowed `count * 12` (`fuzz/corpus/strace_decode/epoll_wait-huge-rval`).
#[test]
fn epoll_wait_reads_its_events_one_by_one() {
    let mut events = 1u32.to_ne_bytes().to_vec();
    events.extend(3u64.to_ne_bytes());
    let huge = Seed::new(232, &[4, A, 8, neg(-1)], 1 << 62)
        .wrote(A, &events)
        .0;
    assert_eq!(
        fuzzing::trace(&huge).line,
        "epoll_wait(4, 0x10000, 8, -1) = 4611686018427387904"
    );
    let cut = Seed::new(232, &[4, A, 8, neg(-1)], 2).wrote(A, &events).0;
    assert_eq!(
        fuzzing::trace(&cut).line,
        "epoll_wait(4, [{events=EPOLLIN, data={u32=3, u64=3}}, ... /* 0x1000c */], 8, -1) = 2"
    );
}
