//! What the fuzz targets share: the script format and the harnesses that
//! interpret scripts, so that the seed generator builds inputs the
//! targets read the same way.

pub mod endpoint;
pub mod rxkad;
pub mod script;
