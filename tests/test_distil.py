"""Distillation in training/train_polarity.py: the loss and the unlabelled NER items."""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch
import torch.nn.functional as F

from training.train_polarity import NO_LABEL, distil_loss, unlabelled_items


def test_alpha_zero_is_the_class_weighted_cross_entropy() -> None:
    student = torch.tensor([[2.0, 0.1, -1.0], [0.3, 0.2, 1.5]])
    teacher = torch.tensor([[-3.0, 4.0, 0.0], [1.0, 1.0, 1.0]])
    gold = torch.tensor([1, 2])
    weight = torch.tensor([0.5, 1.0, 2.0])
    got = distil_loss(student, teacher, gold, alpha=0.0, temperature=2.0, class_weight=weight)
    assert torch.isclose(got, F.cross_entropy(student, gold, weight=weight))


def test_soft_term_is_zero_on_agreement_and_scaled_by_t_squared() -> None:
    logits = torch.tensor([[1.0, -2.0, 0.5]])
    gold = torch.tensor([NO_LABEL])
    assert distil_loss(logits, logits.clone(), gold, alpha=1.0, temperature=2.0) < 1e-7
    student, teacher = torch.tensor([[0.0, 0.0, 0.0]]), torch.tensor([[4.0, 0.0, 0.0]])
    q = F.softmax(teacher / 2.0, -1)[0]
    kl = sum(float(p) * math.log(float(p) * 3) for p in q)  # KL(q || uniform)
    got = distil_loss(student, teacher, gold, alpha=1.0, temperature=2.0)
    assert math.isclose(float(got), 4.0 * kl, rel_tol=1e-5)


def test_unlabelled_targets_get_only_the_soft_term() -> None:
    student = torch.tensor([[0.0, 1.0, 0.0], [2.0, 0.0, 0.0]], requires_grad=True)
    teacher = torch.tensor([[0.0, 1.0, 0.0], [-2.0, 0.0, 3.0]])
    gold = torch.tensor([1, NO_LABEL])
    alpha, t = 0.5, 2.0
    got = distil_loss(student, teacher, gold, alpha, t)
    soft = F.kl_div(
        F.log_softmax(student / t, -1), F.softmax(teacher / t, -1), reduction="batchmean"
    )
    expected = alpha * soft * t * t + (1 - alpha) * F.cross_entropy(student[:1], gold[:1])
    assert torch.isclose(got, expected)
    got.backward()
    # The unlabelled target is pulled toward the teacher's positive, away from negative.
    assert student.grad[1, 2] < 0 < student.grad[1, 0]


def test_unlabelled_items_keep_actor_entities_only(tmp_path: Path) -> None:
    rows = [
        {
            "id": "a",
            "text": "Macron met Merkel in Berlin.",
            "entities": [[0, 6, "PER"], [11, 17, "PER"], [21, 27, "LOC"], [21, 27, "LOC"]],
        },
        {"id": "b", "text": "Nothing here.", "entities": []},
        {"id": "c", "text": "The Euro fell.", "entities": [[4, 8, "MISC"]]},
        {"id": "d", "text": "Renault hires.", "entities": [[0, 7, "ORG"]]},
    ]
    path = tmp_path / "ner.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    assert unlabelled_items([path]) == [
        ("Macron met Merkel in Berlin.", [(0, 6), (11, 17), (21, 27)]),
        ("Renault hires.", [(0, 7)]),
    ]
