//! `--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, ...} ---`: a `siginfo_t` in
//! strace's words.

use crate::cli::XlatStyle;
use crate::signals;

fn i32_at(b: &[u8; 128], o: usize) -> i32 {
    i32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}

fn u32_at(b: &[u8; 128], o: usize) -> u32 {
    i32_at(b, o) as u32
}

fn u64_at(b: &[u8; 128], o: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[o..o + 8]);
    u64::from_ne_bytes(w)
}

/// The `si_code` name for signal `sig`.
fn code_name(sig: i32, code: i32) -> String {
    let generic = match code {
        0 => Some("SI_USER"),
        0x80 => Some("SI_KERNEL"),
        -1 => Some("SI_QUEUE"),
        -2 => Some("SI_TIMER"),
        -3 => Some("SI_MESGQ"),
        -4 => Some("SI_ASYNCIO"),
        -5 => Some("SI_SIGIO"),
        -6 => Some("SI_TKILL"),
        -7 => Some("SI_DETHREAD"),
        -60 => Some("SI_ASYNCNL"),
        _ => None,
    };
    if let Some(g) = generic {
        return g.to_string();
    }
    let specific: &[&str] = match sig {
        libc::SIGCHLD => &[
            "",
            "CLD_EXITED",
            "CLD_KILLED",
            "CLD_DUMPED",
            "CLD_TRAPPED",
            "CLD_STOPPED",
            "CLD_CONTINUED",
        ],
        libc::SIGSEGV => &[
            "",
            "SEGV_MAPERR",
            "SEGV_ACCERR",
            "SEGV_BNDERR",
            "SEGV_PKUERR",
        ],
        libc::SIGBUS => &[
            "",
            "BUS_ADRALN",
            "BUS_ADRERR",
            "BUS_OBJERR",
            "BUS_MCEERR_AR",
            "BUS_MCEERR_AO",
        ],
        libc::SIGILL => &[
            "",
            "ILL_ILLOPC",
            "ILL_ILLOPN",
            "ILL_ILLADR",
            "ILL_ILLTRP",
            "ILL_PRVOPC",
            "ILL_PRVREG",
            "ILL_COPROC",
            "ILL_BADSTK",
        ],
        libc::SIGFPE => &[
            "",
            "FPE_INTDIV",
            "FPE_INTOVF",
            "FPE_FLTDIV",
            "FPE_FLTOVF",
            "FPE_FLTUND",
            "FPE_FLTRES",
            "FPE_FLTINV",
            "FPE_FLTSUB",
        ],
        libc::SIGTRAP => &["", "TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT"],
        libc::SIGIO => &[
            "", "POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP",
        ],
        _ => &[],
    };
    match usize::try_from(code).ok().and_then(|c| specific.get(c)) {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => code.to_string(),
    }
}

/// The `{...}` of a signal line.
pub fn format(info: &[u8; 128], style: XlatStyle) -> String {
    let sig = i32_at(info, 0);
    let errno = i32_at(info, 4);
    let code = i32_at(info, 8);
    // -X raw: the signal in decimal, the code in hex (as a 32-bit value).
    let signo = crate::format::styled(&sig.to_string(), &signals::name(sig), style);
    let code_text = match style {
        XlatStyle::Abbrev => code_name(sig, code),
        _ => {
            let name = code_name(sig, code);
            let raw = crate::format::hex(u64::from(code as u32));
            if name == code.to_string() {
                raw
            } else {
                crate::format::styled(&raw, &name, style)
            }
        }
    };
    let mut s = format!("{{si_signo={signo}, si_code={code_text}");
    if errno != 0 {
        s.push_str(&format!(
            ", si_errno={}",
            crate::format::errno_name(i64::from(errno))
        ));
    }
    let pid = i32_at(info, 16);
    let uid = u32_at(info, 20);
    match code {
        // Sent by a process: kill, tkill, sigqueue.
        0 | -6 => s.push_str(&format!(", si_pid={pid}, si_uid={uid}")),
        -1 | -3 => {
            let value = u64_at(info, 24);
            s.push_str(&format!(
                ", si_pid={pid}, si_uid={uid}, si_value={{int={}, ptr={}}}",
                value as u32 as i32,
                crate::format::pointer(value)
            ));
        }
        -2 => {
            let value = u64_at(info, 24);
            s.push_str(&format!(
                ", si_timerid={pid:#x}, si_overrun={uid}, si_int={}, si_ptr={}",
                value as u32 as i32,
                crate::format::pointer(value)
            ));
        }
        c if c > 0 && c != 0x80 => match sig {
            libc::SIGCHLD => {
                let status = i32_at(info, 24);
                let status_text = if code == 1 {
                    status.to_string()
                } else {
                    crate::format::styled(&status.to_string(), &signals::name(status), style)
                };
                s.push_str(&format!(
                    ", si_pid={pid}, si_uid={uid}, si_status={status_text}, si_utime={}, si_stime={}",
                    crate::format::clock_t(u64_at(info, 32), style),
                    crate::format::clock_t(u64_at(info, 40), style)
                ));
            }
            libc::SIGSEGV | libc::SIGBUS | libc::SIGILL | libc::SIGFPE | libc::SIGTRAP => {
                s.push_str(&format!(
                    ", si_addr={}",
                    crate::format::pointer(u64_at(info, 16))
                ));
            }
            libc::SIGIO => {
                s.push_str(&format!(
                    ", si_band={}, si_fd={}",
                    u64_at(info, 16) as i64,
                    i32_at(info, 24)
                ));
            }
            _ => {}
        },
        _ => {}
    }
    s.push('}');
    s
}
