//! proto → Graph JSON
