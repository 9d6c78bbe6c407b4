//! `DescriptorCheck`: whether a layer descriptor (`crew_spec::image`: header word, pass
//! descriptors) is one the engine runs. `bad` (`BadDescriptor`): wrong magic, kind or
//! layout flags, or pass shapes that disagree with the header (FC: one pass n_in -> H;
//! GRU/LSTM: two passes n_in -> gates * H and H -> gates * H), or an empty shape;
//! otherwise `too_large` (`ShapeTooLarge`): more inputs than the x buffer holds, more
//! hidden units than the cell unit, or more rows than the accumulators. A token-input layer
//! (`FLAG_TOKEN_INPUT`) has an x pass of 0 columns and no records, and its header n_in is
//! the token count V, which the x buffer's limit does not apply to.

use crate::engine::common::cell_unit::MAX_HIDDEN;
use crate::engine::common::core::{LayoutFlags, MAX_INPUTS};
use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct DescriptorCheck {
    /// Header word bits 63:0, and whether its magic (bits 127:96) matched.
    pub hdr: Signal<In, Bits<64>>,
    pub magic_ok: Signal<In, Bit>,
    pub pd0: Signal<In, Bits<128>>,
    pub pd1: Signal<In, Bits<128>>,
    pub bad: Signal<Out, Bit>,
    pub too_large: Signal<Out, Bit>,
    k_acc_depth: Constant<Bits<32>>,
    k_max_inputs: Constant<Bits<32>>,
    k_max_hidden: Constant<Bits<32>>,
    k_flags_mask: Constant<Bits<8>>,
    k_flags_value: Constant<Bits<8>>,
    kind: Signal<Local, Bits<8>>,
    passes: Signal<Local, Bits<16>>,
    n_in: Signal<Local, Bits<32>>,
    token: Signal<Local, Bit>,
    /// Columns of the x pass: n_in, or 0 for a token-input layer.
    x_cols: Signal<Local, Bits<32>>,
    /// The x pass's record words are as the layer kind requires (0 for token input).
    x_recs_ok: Signal<Local, Bit>,
    too_many_in: Signal<Local, Bit>,
    h: Signal<Local, Bits<32>>,
    rows: Signal<Local, Bits<32>>,
    bad_v: Signal<Local, Bit>,
    too_large_v: Signal<Local, Bit>,
}

impl DescriptorCheck {
    /// The check of an engine with `acc_depth` accumulators that reads layers whose flags
    /// match `flags`.
    pub fn new(acc_depth: usize, flags: LayoutFlags) -> Self {
        DescriptorCheck {
            hdr: Default::default(),
            magic_ok: Default::default(),
            pd0: Default::default(),
            pd1: Default::default(),
            bad: Default::default(),
            too_large: Default::default(),
            k_acc_depth: Constant::new((acc_depth as u32).to_bits()),
            k_max_inputs: Constant::new((MAX_INPUTS as u32).to_bits()),
            k_max_hidden: Constant::new((MAX_HIDDEN as u32).to_bits()),
            k_flags_mask: Constant::new((flags.mask as u32).to_bits()),
            k_flags_value: Constant::new((flags.value as u32).to_bits()),
            kind: Default::default(),
            passes: Default::default(),
            n_in: Default::default(),
            token: Default::default(),
            x_cols: Default::default(),
            x_recs_ok: Default::default(),
            too_many_in: Default::default(),
            h: Default::default(),
            rows: Default::default(),
            bad_v: Default::default(),
            too_large_v: Default::default(),
        }
    }
}

impl Logic for DescriptorCheck {
    #[hdl_gen]
    fn update(&mut self) {
        self.kind.next = self.hdr.val().get_bits::<8>(0);
        self.passes.next = self.hdr.val().get_bits::<16>(48);
        self.n_in.next = bit_cast::<32, 16>(self.hdr.val().get_bits::<16>(16));
        self.h.next = bit_cast::<32, 16>(self.hdr.val().get_bits::<16>(32));
        self.token.next = self.hdr.val().get_bit(10);
        self.x_cols.next = self.n_in.val();
        self.x_recs_ok.next = true;
        self.too_many_in.next = self.n_in.val() > self.k_max_inputs.val();
        if self.token.val() {
            self.x_cols.next = 0.into();
            self.x_recs_ok.next = self.pd0.val().get_bits::<32>(96) == 0;
            self.too_many_in.next = false;
        }
        // Rows per pass of a GRU (3 gates) or LSTM (4 gates).
        self.rows.next = self.h.val() << 2;
        if self.kind.val() == 1 {
            self.rows.next = (self.h.val() << 1) + self.h.val();
        }
        self.bad_v.next = false;
        self.too_large_v.next = false;
        if !self.magic_ok.val()
            | (self.kind.val() > 2)
            | ((self.hdr.val().get_bits::<8>(8) & self.k_flags_mask.val())
                != self.k_flags_value.val())
        {
            self.bad_v.next = true;
        } else if self.kind.val() == 0 {
            if (self.passes.val() != 1)
                | (bit_cast::<32, 16>(self.pd0.val().get_bits::<16>(64)) != self.x_cols.val())
                | !self.x_recs_ok.val()
                | (bit_cast::<32, 16>(self.pd0.val().get_bits::<16>(80)) != self.h.val())
                | (self.n_in.val() == 0)
                | (self.h.val() == 0)
            {
                self.bad_v.next = true;
            } else if self.too_many_in.val() | (self.h.val() > self.k_acc_depth.val()) {
                self.too_large_v.next = true;
            }
        } else if (self.passes.val() != 2)
            | (bit_cast::<32, 16>(self.pd0.val().get_bits::<16>(64)) != self.x_cols.val())
            | !self.x_recs_ok.val()
            | (bit_cast::<32, 16>(self.pd0.val().get_bits::<16>(80)) != self.rows.val())
            | (bit_cast::<32, 16>(self.pd1.val().get_bits::<16>(64)) != self.h.val())
            | (bit_cast::<32, 16>(self.pd1.val().get_bits::<16>(80)) != self.rows.val())
            | (self.n_in.val() == 0)
            | (self.h.val() == 0)
        {
            self.bad_v.next = true;
        } else if self.too_many_in.val()
            | (self.h.val() > self.k_max_hidden.val())
            | (self.rows.val() > self.k_acc_depth.val())
        {
            self.too_large_v.next = true;
        }
        // Outputs once (see `datapath_port.rs`).
        self.bad.next = self.bad_v.val();
        self.too_large.next = self.too_large_v.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crew_spec::image::{LayerDescriptor, LayerKind, PassDescriptor};

    fn check(d: &LayerDescriptor) -> (bool, bool) {
        let mut c = DescriptorCheck::new(1024, LayoutFlags { mask: 0, value: 0 });
        c.connect_all();
        let w = d.to_words();
        c.hdr.next = (w[0] as u64).to_bits();
        c.magic_ok.next = true;
        c.pd0.next = w[1].to_bits();
        c.pd1.next = w[2].to_bits();
        assert!(simulate(&mut c, 10), "settles");
        (c.bad.val(), c.too_large.val())
    }

    fn pass(n_in: u16, n_out: u16) -> PassDescriptor {
        PassDescriptor {
            records_addr: 0,
            epilogue_addr: 0,
            n_in,
            n_out,
            records_words: 0,
        }
    }

    #[test]
    fn shapes_are_checked_against_the_header_and_the_limits() {
        let gru = |h: u16, rows: u16| LayerDescriptor {
            kind: LayerKind::Gru,
            wide_entries: false,
            dense: false,
            token_input: false,
            n_in: 8,
            n_hidden: h,
            passes: vec![pass(8, rows), pass(h, rows)],
        };
        assert_eq!(check(&gru(10, 30)), (false, false));
        assert_eq!(check(&gru(10, 40)), (true, false), "GRU has 3 gates");
        assert_eq!(check(&gru(400, 1200)), (false, true), "1200 rows > 1024");
        // Token input: the x pass has no columns and no records; V may exceed the x buffer.
        let token = |v: u16, x_cols: u16, x_words: u32| LayerDescriptor {
            kind: LayerKind::Gru,
            wide_entries: false,
            dense: false,
            token_input: true,
            n_in: v,
            n_hidden: 10,
            passes: vec![
                PassDescriptor {
                    records_words: x_words,
                    ..pass(x_cols, 30)
                },
                pass(10, 30),
            ],
        };
        assert_eq!(check(&token(5000, 0, 0)), (false, false));
        assert_eq!(
            check(&token(29, 29, 0)),
            (true, false),
            "x pass has columns"
        );
        assert_eq!(check(&token(29, 0, 4)), (true, false), "x pass has records");
        assert_eq!(check(&token(0, 0, 0)), (true, false), "no tokens");
    }
}

crate::synth_test!(DescriptorCheck::new(
    1024,
    LayoutFlags { mask: 0, value: 0 },
));
