//! XEM7010 firmware of the CREW accelerator: the board top level around the host bridge
//! (and the engine) and the bitstream flow (Verilog, XDC, Vivado TCL, manifest; Vivado
//! only where installed).

pub mod bitstream;
pub mod timing;
pub mod top;
pub mod vendor_figures;
