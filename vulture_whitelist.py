"""Names vulture cannot see used: read by a framework, by gunicorn.conf.py (whose top-level
names are all gunicorn settings, so it is not scanned), by the tests, or kept as a seam.
``make lint`` runs vulture over ``service/`` with this file (config in pyproject.toml).
"""

from flask import g

from service.activity import documents_computed
from service.analysis.evidence import Kind, TargetModel
from service.analysis.language_data import KINDS
from service.document import ALL_PROCESSORS
from service.engines.polarity.classifier import PolarityClassifier
from service.engines.polarity.encoder import Q4Embedding
from service.engines.polarity.loader import Base
from service.engines.polarity.scorer import PolarityScorer
from service.engines.polarity.weights import save_weights
from service.engines.stanza_engine import convert
from service.logs import JsonFormatter
from service.web.gunicorn_worker import BalancedThreadWorker
from service.web.schemas import TargetField

_ = (
    documents_computed,  # gunicorn.conf.py: post_request and pre_fork
    BalancedThreadWorker,  # gunicorn.conf.py: worker_class, by its dotted name
    JsonFormatter.format,  # logging calls it
    TargetField._deserialize,  # marshmallow calls it
    g.started,  # request state, read back with g.get("started") and g.pop("id_token")
    g.id_token,
    Kind.SUPPORTS_PATIENT,  # the four stance kinds are built by Kind.frame(stance, target)
    Kind.SUPPORTS_RECIPIENT,
    Kind.OPPOSES_PATIENT,
    Kind.OPPOSES_RECIPIENT,
    Kind.MODEL,  # the learned model's evidence, and the interface it implements (issue 10)
    TargetModel,
    KINDS,  # the tests check every kind of language data file
    ALL_PROCESSORS,  # the engine tests annotate with every processor
    convert,  # the Stanza adapter on CoNLL-U documents, in the tests
    PolarityClassifier.forward,  # torch calls forward through Module.__call__
    Q4Embedding.forward,
    save_weights,  # training/train_polarity.py (not scanned) and the tests write weights
    Base.tokenizer_sha256,  # the checked tokenizer's digest, for the model card and tests
    PolarityScorer.identity,  # engine.models once the scorer is wired in (issue 10)
)
