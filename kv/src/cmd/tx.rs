//! Transactions: MULTI queues the commands that follow, EXEC runs them one after the other
//! with nothing in between, DISCARD drops them. A command that could not be queued (unknown,
//! wrong arity) makes EXEC refuse the whole transaction, as Redis does; a command that fails
//! while running does not stop the others. The log gets the writes between MULTI and EXEC,
//! so a replay applies the transaction whole or (torn at the end of the log) not at all.

use crate::cmd::{Command, Ctx, FAST, NO_QUEUE};

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "multi",
        arity: 1,
        flags: NO_QUEUE | FAST,
        keys: (0, 0, 0),
        run: multi,
    },
    Command {
        name: "exec",
        arity: 1,
        flags: NO_QUEUE,
        keys: (0, 0, 0),
        run: exec,
    },
    Command {
        name: "discard",
        arity: 1,
        flags: NO_QUEUE | FAST,
        keys: (0, 0, 0),
        run: discard,
    },
];

fn set_queued(ctx: &mut Ctx, n: Option<usize>) {
    let token = ctx.session.token;
    if let Some(info) = ctx.server.client_mut(token) {
        info.multi = n;
    }
}

fn multi(ctx: &mut Ctx, _: &[Vec<u8>]) -> Result<(), String> {
    if ctx.session.multi.is_some() {
        return Err("ERR MULTI calls can not be nested".into());
    }
    ctx.session.multi = Some(Vec::new());
    ctx.session.multi_failed = false;
    set_queued(ctx, Some(0));
    ctx.out.ok();
    Ok(())
}

fn discard(ctx: &mut Ctx, _: &[Vec<u8>]) -> Result<(), String> {
    if ctx.session.multi.take().is_none() {
        return Err("ERR DISCARD without MULTI".into());
    }
    ctx.session.multi_failed = false;
    set_queued(ctx, None);
    ctx.out.ok();
    Ok(())
}

fn exec(ctx: &mut Ctx, _: &[Vec<u8>]) -> Result<(), String> {
    let Some(queued) = ctx.session.multi.take() else {
        return Err("ERR EXEC without MULTI".into());
    };
    set_queued(ctx, None);
    if std::mem::take(&mut ctx.session.multi_failed) {
        return Err("EXECABORT Transaction discarded because of previous errors.".into());
    }
    ctx.out.array(queued.len());
    // MULTI ... EXEC around the transaction's writes in the log, if it wrote anything.
    let mark = ctx.server.aof_buf.len();
    let dirty = ctx.server.dirty;
    for args in &queued {
        let Some(cmd) = crate::cmd::lookup(&args[0]) else {
            continue; // checked when queued
        };
        let now = crate::store::now_ms();
        crate::engine::run(ctx.server, ctx.session, cmd, args, ctx.out, now);
    }
    if ctx.server.dirty != dirty && ctx.server.aof.enabled {
        let body = ctx.server.aof_buf.split_off(mark);
        crate::cmd::encode(&mut ctx.server.aof_buf, &[b"MULTI".to_vec()]);
        ctx.server.aof_buf.extend_from_slice(&body);
        crate::cmd::encode(&mut ctx.server.aof_buf, &[b"EXEC".to_vec()]);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::Harness;

    #[test]
    fn a_transaction_runs_whole_and_is_logged_between_multi_and_exec() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["EXEC"]), "-ERR EXEC without MULTI\r\n");
        assert_eq!(h.run(&["MULTI"]), "+OK\r\n");
        assert_eq!(h.run(&["MULTI"]), "-ERR MULTI calls can not be nested\r\n");
        assert_eq!(h.run(&["SET", "a", "1"]), "+QUEUED\r\n");
        assert_eq!(h.run(&["INCR", "a"]), "+QUEUED\r\n");
        assert_eq!(h.run(&["GET", "a"]), "+QUEUED\r\n");
        assert_eq!(h.run(&["EXEC"]), "*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n");
        assert_eq!(
            h.take_log(),
            "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*1\r\n$4\r\nEXEC\r\n"
        );
    }

    #[test]
    fn a_command_that_cannot_be_queued_aborts_exec_and_runtime_errors_do_not() {
        let mut h = Harness::new();
        h.run(&["MULTI"]);
        assert!(h.run(&["NOPE"]).starts_with("-ERR unknown command"));
        h.run(&["SET", "a", "1"]);
        assert_eq!(
            h.run(&["EXEC"]),
            "-EXECABORT Transaction discarded because of previous errors.\r\n"
        );
        assert_eq!(h.run(&["GET", "a"]), "$-1\r\n");
        h.run(&["MULTI"]);
        h.run(&["SET", "a", "x"]);
        h.run(&["INCR", "a"]);
        h.run(&["SET", "b", "y"]);
        assert_eq!(
            h.run(&["EXEC"]),
            "*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+OK\r\n"
        );
        h.run(&["MULTI"]);
        assert_eq!(h.run(&["DISCARD"]), "+OK\r\n");
        assert_eq!(h.run(&["DISCARD"]), "-ERR DISCARD without MULTI\r\n");
    }
}
