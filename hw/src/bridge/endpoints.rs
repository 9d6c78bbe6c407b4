//! The host bridge's FrontPanel side at endpoint level, generated from the register map's
//! endpoint table (`crew_spec::for_endpoint_table!`): one 16-bit port per wire, the
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

crew_spec::for_endpoint_table! {
    $ wire_in(wi_const, wi, wi_addr, wi_doc), wire_out(wo_const, wo, wo_addr, wo_doc),
    trigger_in(ti_const, ti, ti_addr, ti_doc), trigger_out(to_const, to, to_addr, to_doc),
    pipe_in(pi_const, pi, pi_addr, pi_doc), pipe_out(po_const, po, po_addr, po_doc) => {
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
    }
}
