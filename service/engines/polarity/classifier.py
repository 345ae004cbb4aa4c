"""The target-polarity classifier: the e5 encoder, and a head over the pooled target.

One encoder pass per sentence; each target is the mean of its own token vectors, read beside
the sentence's first (``<s>``) vector, and a linear head maps the pair to three logits
(negative, neutral, positive). No markers in the text, so many targets share one pass.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import BertModel

from service.engines.polarity.batching import Batch
from service.engines.polarity.encoder import Q4Embedding

LABELS = ("negative", "neutral", "positive")


class PolarityClassifier(nn.Module):
    """Encoder + target pooling + linear head; the word table is frozen and never saved."""

    def __init__(self, encoder: BertModel, words: Q4Embedding, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.words = words
        hidden = encoder.config.hidden_size
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(2 * hidden, len(LABELS))

    def forward(self, batch: Batch) -> torch.Tensor:
        """Logits (K, 3), one row per target of the batch."""
        return self.logits(self.words(batch.input_ids), batch)

    def logits(self, embeds: torch.Tensor, batch: Batch) -> torch.Tensor:
        """Logits (K, 3) from the word vectors ``embeds`` (B, T, H) of the batch's tokens:
        the pass that gradients with respect to the words (attribution) go through."""
        hidden = self.encoder(
            inputs_embeds=embeds, attention_mask=batch.attention_mask
        ).last_hidden_state
        rows, mask = batch.target_rows, batch.target_mask
        # Each target's mean over its tokens, one (k, T) @ (T, H) product per sentence: never
        # a (K, T, H) copy of the hidden states per target, which a sentence naming
        # thousands of targets made gigabytes. collate lists a sentence's targets together.
        # In fp32 even under bf16 autocast, as the elementwise sum the weights were trained with.
        counts = torch.bincount(rows, minlength=hidden.shape[0]).tolist()
        with torch.autocast("cpu", enabled=False):
            full = hidden.float()
            sums = [m @ h for m, h in zip(mask.float().split(counts), full, strict=True)]
            pooled = torch.cat(sums) / mask.sum(1, keepdim=True).clamp(min=1.0)
        features = torch.cat([full[rows, 0], pooled], dim=-1).to(hidden.dtype)
        return self.head(self.dropout(features))

    def trained_state(self) -> dict[str, torch.Tensor]:
        """The parameters training moves (everything but the frozen word table), as fp16."""
        return {
            name: value.detach().to(torch.float16).contiguous()
            for name, value in self.state_dict().items()
            if name != "encoder.embeddings.word_embeddings.weight"
            and not name.endswith(("position_ids", "token_type_ids"))
        }

    def load_trained(self, state: dict[str, torch.Tensor]) -> None:
        """Load what :meth:`trained_state` saved; refuse a state that does not fit exactly."""
        expected = set(self.trained_state())
        if set(state) != expected:
            missing, extra = sorted(expected - set(state)), sorted(set(state) - expected)
            raise ValueError(
                f"trained weights do not fit: missing {missing[:3]}, extra {extra[:3]}"
            )
        self.load_state_dict({k: v.float() for k, v in state.items()}, strict=False)
