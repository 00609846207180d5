from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.settings import Settings
from tests.openai_server import OpenAIServer
from tests.servers import serve

ARTICLES = Path(__file__).resolve().parent.parent / "evals" / "suites" / "sco" / "articles"


def article(prefix: str) -> str:
    """One of the five SCO articles, by its number ("003")."""
    (path,) = ARTICLES.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


# A draft a model could have written for article 003, every text copied from the article.
DRAFT_003 = {
    "entities": [
        {"name": "سيرغي لافروف", "type": "person", "name_en": "Sergey Lavrov",
         "title": "وزير الخارجية الروسي", "country": "RU", "aliases": ["لافروف"]},
        {"name": "شاه محمود قريشي", "type": "person", "name_en": "Shah Mahmood Qureshi",
         "title": "وزير الخارجية الباكستاني", "country": "PK", "aliases": []},
        {"name": "روسيا", "type": "country", "name_en": "Russia", "country": "RU",
         "aliases": ["الجانب الروسي"]},
        {"name": "باكستان", "type": "country", "name_en": "Pakistan", "country": "PK"},
    ],
    "events": [
        {"evidence": "التقى وزير الخارجية الروسي سيرغي لافروف بنظيره وزير الخارجية الباكستاني "
                     "شاه محمود قريشي",
         "type": "CONSULT", "mode": "meet", "summary_en": "Lavrov met Qureshi.",
         "participants": [{"name": "سيرغي لافروف", "role": "actor"},
                          {"name": "شاه محمود قريشي", "role": "counterpart"}],
         "date": "14 يوليو/تموز 2021", "location": None, "status": "occurred"},
    ],
    "quotes": [
        {"speaker": "لافروف", "cue": "أضاف", "kind": "direct",
         "text": "لكنني أود مناقشة كيفية تطور القضايا التي ناقشناها سابقا في إسلام أباد"},
    ],
    "positions": [
        {"holder": "الجانب الروسي", "stance": "support",
         "topic_en": "Pakistan's counter-terrorism capabilities", "target": "باكستان",
         "evidence": "أكد الجانب الروسي استعداده لتعزيز إمكانات باكستان في مكافحة الإرهاب"},
    ],
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(cache_dir=tmp_path / "cache", provider_retries=3, retry_backoff_s=0.01,
                    retry_backoff_max_s=0.2, request_timeout_s=5.0)


@pytest.fixture
def openai_server() -> Iterator[tuple[OpenAIServer, str]]:
    fake = OpenAIServer()
    with serve(fake.app()) as url:
        yield fake, f"{url}/v1"
