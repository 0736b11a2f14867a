//! The Cloud API emulator.
