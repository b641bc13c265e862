"""General-purpose word lists for profiles that ask for foundational work over applications.

They encode no label: they are what "application-driven" and "foundational/theoretical" mean
in machine-learning papers in general, and they apply only when the profile's topics text asks
for that distinction (see `wants_foundational`).
"""

from __future__ import annotations

# Domains and deployment settings: a paper about them is usually an application.
APPLICATION_WORDS = (
    "medical", "clinical", "clinic", "patient", "patients", "hospital", "health", "healthcare",
    "disease", "diseases", "diagnosis", "cancer", "tumor", "tumour", "radiology", "mri", "ct",
    "scan", "x-ray", "ecg", "eeg", "fmri", "brain-computer", "surgical", "surgery", "drug-drug",
    "pharmacy", "ehr", "biomedical", "genomics", "gene", "genes", "cell", "cells", "single-cell",
    "pathology", "traffic", "vehicle", "vehicles", "driving", "autonomous-driving", "road",
    "transportation", "trajectory", "robot", "robots", "robotic", "robotics", "manipulation",
    "grasping", "locomotion", "navigation", "drone", "drones", "uav", "uavs", "satellite",
    "remote-sensing", "earth", "weather", "climate", "precipitation", "flood", "wildfire",
    "earthquake", "ocean", "agriculture", "crop", "crops", "soil", "energy", "power", "grid",
    "battery", "batteries", "solar", "wind", "electricity", "load-forecasting", "building",
    "buildings", "hvac", "manufacturing", "industrial", "fault", "maintenance", "wireless", "5g",
    "6g", "channel-estimation", "beamforming", "mimo", "radar", "antenna", "financial", "finance",
    "stock", "stocks", "trading", "market", "portfolio", "credit", "fraud", "insurance", "banking",
    "e-commerce", "customer", "customers", "advertising", "marketing", "recommendation",
    "recommender", "education", "student", "students", "teacher", "teachers", "classroom", "legal",
    "law", "court", "social-media", "twitter", "news", "misinformation", "fake", "hate", "toxic",
    "election", "political", "music", "audio", "speech", "speaker", "song", "video", "videos",
    "camera", "cameras", "surveillance", "cybersecurity", "intrusion", "malware", "phishing",
    "attack-detection", "network-traffic", "software", "code-generation", "programming", "bug",
    "bugs", "developer", "developers", "game", "games", "chess", "poker", "sports", "football",
    "chemistry", "chemical", "materials", "crystal", "catalyst", "physics", "fluid", "turbulence",
    "astronomy", "galaxy", "seismic", "geology", "mining", "city", "urban", "smart-city", "tourism",
    "questionnaire", "survey", "interview", "participants", "user-study", "users",
)
# Signs of foundational, theoretical or mechanism-level work.
THEORY_WORDS = (
    "theorem", "theorems", "theory", "theoretical", "theoretically", "prove", "proves", "proved",
    "proof", "proofs", "provable", "provably", "bound", "bounds", "lower-bound", "upper-bound",
    "convergence", "converge", "converges", "asymptotic", "complexity", "sample-complexity",
    "generalization", "rademacher", "pac-bayes", "minimax", "optimal", "optimality", "dynamics",
    "gradient-descent", "sgd", "loss-landscape", "implicit-bias", "overparameterized",
    "overparameterization", "kernel", "neural-tangent", "scaling-law", "scaling-laws",
    "phase-transition", "mechanism", "mechanisms", "mechanistic", "circuit", "circuits",
    "interpretability", "understanding", "expressivity", "expressive-power", "representation",
    "representations", "invariance", "equivariance", "geometry", "manifold", "spectral",
    "eigenvalue", "rank", "low-rank", "sparsity", "sparse", "attention", "transformer",
    "transformers", "architecture", "architectures", "in-context", "grokking", "memorization",
    "emergence",
)
# arXiv categories whose papers are mostly about methods or theory, and mostly about applications.
THEORY_CATEGORIES = ("cs.LG", "stat.ML", "cs.NE", "cs.IT", "math.IT", "math.ST", "stat.TH",
                     "math.OC", "math.PR", "cs.DS", "cs.CC", "math.NA", "cs.FL")
APPLICATION_PREFIXES = ("cs.RO", "cs.CY", "cs.HC", "cs.SE", "cs.IR", "cs.SD", "cs.MA", "cs.CR",
                        "cs.NI", "cs.DL", "cs.SI", "cs.GT", "cs.ET", "cs.DB", "cs.MM", "cs.GR",
                        "eess.", "q-bio.", "q-fin.", "econ.", "physics.", "astro-ph", "cond-mat.",
                        "stat.AP")


def wants_foundational(topics_text: str) -> bool:
    """True when the topics text asks for foundational work or to avoid application-driven work."""
    lowered = topics_text.lower()
    return any(word in lowered for word in ("foundational", "application-driven", "theoretical"))
