"""The seed articles the claims quote: one table, so a seed is named the same way everywhere.

Each seed is cited by its title and, where the article names one, its address; the full list
with notes is docs/sources.md. ``file`` is how the seed is
stored beside the project (``shared/seeds/``), used only to check that quotes are verbatim.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCES_DOC = "docs/sources.md"


@dataclass(frozen=True)
class Seed:
    """One seed article: its number, title, address (None when the article names none) and file."""

    number: str
    title: str
    address: str | None
    file: str

    def cite(self) -> str:
        """``seed 004, «title»`` with the address when there is one."""
        where = f", {self.address}" if self.address else ""
        return f"seed {self.number}, «{self.title}»{where}"


SEED_000 = Seed("000", "CNN-gMLP模型解析:相比普通CNN,性能提升的关键是什么?", "https://www.cveoy.top/t/topic/ftOf", "000_fc0367ff21d6b9af.txt")
SEED_001 = Seed(
    "001", "7.3 详解NiN模型--首次使用多层感知机(1x1卷积核)替换掉全连接层的模型", "https://www.toymoban.com/news/detail-646403.html", "001_6c60effe9a579057.txt"
)
SEED_002 = Seed("002", "深度学习新趋势:利用MLP取代卷积层——S2-MLPv2模型解析", None, "002_6e73fe69cf8010e9.txt")
SEED_003 = Seed("003", "基本网络模型笔记", None, "003_8a18f65d998948f5.txt")
SEED_004 = Seed("004", "深度学习模块实践手册(第十二期)", "http://www.pswp.cn/diannao/92746.shtml", "004_81c9ba79a33398cc.txt")

SEEDS: tuple[Seed, ...] = (SEED_000, SEED_001, SEED_002, SEED_003, SEED_004)
