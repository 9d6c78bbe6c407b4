"""crew-finetune: CREW-aware fine-tuning for PyTorch models (docs/finetune.md).

Wrap a model, train it with your own loop and data, export what `crew-host compile` takes:

    import crew_finetune as cf
    cons = cf.CrewConstraint(model, k=16)        # every nn.Linear / nn.GRU / nn.LSTM matrix
    for step, batch in enumerate(data):          # your loop, your loss, your optimizer
        loss = ...; opt.zero_grad(); loss.backward(); opt.step()
        cons.clamp_()                            # latent weights stay within max|W|
        if step % 50 == 0:
            cons.refit()                         # codebooks follow the weights
    cf.export_npz(model, "out.npz", cons)        # PyTorch names: crew-host compile out.npz --layer encoder

Every column (one input's weights over all outputs) of every constrained matrix then holds
at most K values of the matrix's per-tensor int8 grid (max|W| / 127, max|W| kept), so
crew-host's own quantization gives exactly the trained integers and indices of at most
log2(K) bits. `crew_finetune.g2p` is the worked example (models/g2p_en).
"""

from .constrain import (ColumnCodebook, CrewConstraint, check_crew_host_grid,
                        crew_host_integers, kmeans_columns)
from .export import export_npz, snapped_state_dict, write_npz

__all__ = ["ColumnCodebook", "CrewConstraint", "check_crew_host_grid", "crew_host_integers",
           "kmeans_columns", "export_npz", "snapped_state_dict", "write_npz"]
