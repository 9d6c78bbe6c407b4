//! The host bridge's FrontPanel side at endpoint level, generated from the register map's
//! endpoint table (`crew_spec::with_endpoint_table!`): one 16-bit port per wire, the
//! trigger words, and per block-throttled pipe its strobe, data and ready. The bridge,
//! the accelerator core, the firmware top and the simulated board all use this one
//! interface, so an endpoint added to the table appears everywhere.

use rust_hdl::prelude::*;

/// A BTPipeIn endpoint's signals (ti_clk): ep_write, ep_dataout, ep_ready.
#[derive(Clone, Debug, Default, LogicInterface)]
pub struct PipeInPort {
    pub write: Signal<In, Bit>,
    pub data: Signal<In, Bits<16>>,
    pub ready: Signal<Out, Bit>,
}

/// A BTPipeOut endpoint's signals (ti_clk): ep_read, ep_datain, ep_ready.
#[derive(Clone, Debug, Default, LogicInterface)]
pub struct PipeOutPort {
    pub read: Signal<In, Bit>,
    pub data: Signal<Out, Bits<16>>,
    pub ready: Signal<Out, Bit>,
}

macro_rules! declare_host_endpoints {
    (
        wire_in: [$(($wi_const:ident, $wi:ident, $wi_addr:literal, $wi_doc:literal)),* $(,)?],
        wire_out: [$(($wo_const:ident, $wo:ident, $wo_addr:literal, $wo_doc:literal)),* $(,)?],
        trigger_in: [$(($ti_const:ident, $ti:ident, $ti_addr:literal, $ti_doc:literal)),* $(,)?],
        trigger_out: [$(($to_const:ident, $to:ident, $to_addr:literal, $to_doc:literal)),* $(,)?],
        pipe_in: [$(($pi_const:ident, $pi:ident, $pi_addr:literal, $pi_doc:literal)),* $(,)?],
        pipe_out: [$(($po_const:ident, $po:ident, $po_addr:literal, $po_doc:literal)),* $(,)?] $(,)?
    ) => {
        /// Every FrontPanel endpoint of the design, as the bridge sees it. Wires and pipes
        /// are in the ti_clk domain, triggers in the UI clock domain.
        #[derive(Clone, Debug, Default, LogicInterface)]
        pub struct HostEndpoints {
            $(#[doc = $wi_doc] pub $wi: Signal<In, Bits<16>>,)*
            $(#[doc = $wo_doc] pub $wo: Signal<Out, Bits<16>>,)*
            $(#[doc = $ti_doc] pub $ti: Signal<In, Bits<16>>,)*
            $(#[doc = $to_doc] pub $to: Signal<Out, Bits<16>>,)*
            $(#[doc = $pi_doc] pub $pi: PipeInPort,)*
            $(#[doc = $po_doc] pub $po: PipeOutPort,)*
        }

        impl HostEndpoints {
            /// The wire-in port at endpoint address `addr`.
            pub fn wire_in_mut(&mut self, addr: u8) -> Option<&mut Signal<In, Bits<16>>> {
                match addr {
                    $($wi_addr => Some(&mut self.$wi),)*
                    _ => None,
                }
            }

            /// The wire-out port at endpoint address `addr`.
            pub fn wire_out(&self, addr: u8) -> Option<&Signal<Out, Bits<16>>> {
                match addr {
                    $($wo_addr => Some(&self.$wo),)*
                    _ => None,
                }
            }

            /// Marks every input as driven, for a simulation that drives them directly.
            pub fn connect_inputs(&mut self) {
                $(self.$wi.connect();)*
                $(self.$ti.connect();)*
                $(self.$pi.write.connect(); self.$pi.data.connect();)*
                $(self.$po.read.connect();)*
            }
        }

        /// Wire-in addresses and their port names, in table order.
        pub const WIRE_INS: &[(u8, &str)] = &[$(($wi_addr, stringify!($wi)),)*];
        /// Wire-out addresses and their port names, in table order.
        pub const WIRE_OUTS: &[(u8, &str)] = &[$(($wo_addr, stringify!($wo)),)*];
    };
}

crew_spec::with_endpoint_table!(declare_host_endpoints);
