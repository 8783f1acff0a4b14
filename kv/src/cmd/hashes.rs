//! Hashes commands.

use crate::cmd::Command;

pub(crate) const COMMANDS: &[Command] = &[];
