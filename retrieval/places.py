"""Place names in questions and entries, and whether two of them agree.

Many policies differ by place: "北京的企业稳岗" is not answered by Chongqing's 稳岗返还, and
"梧州停课期间网上上课" not by Wuhan's. The KB's topic sources (covid_policy_qa and the like) name
their place in the question text instead of a region code, so the jurisdiction filter cannot
tell them apart. When the citizen names a place, hybrid search adds ``place_weight`` to the fused
score of entries whose places agree with it and subtracts it from entries that name only other
places; entries that name no place are left as they are.

Two places agree when they are the same name (北京市 = 北京) or when both are regions of the KB and
one contains the other (天水市 and 甘肃省; 广州市 and 广东省). The gazetteer: China's provinces,
the KB's regions, and jieba's dictionary's place names (tag ns) that are a 省/市/县 or have one of
those forms in the dictionary (梧州 because 梧州市 is listed; 福利, also tagged ns, is not).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from functools import lru_cache

PROVINCES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
]
_SUFFIX = re.compile(r"(特别行政区|自治区|地区|省|市|县|区)$")
_AUTONOMOUS = re.compile(r"自治[州县旗区]$")
# ethnic names in China's autonomous prefectures and counties (甘南藏族自治州, 积石山保安族东乡族撒拉族自治县)
_ETHNIC = [
    "维吾尔族",
    "维吾尔",
    "哈萨克族",
    "蒙古族",
    "东乡族",
    "保安族",
    "撒拉族",
    "裕固族",
    "土家族",
    "布依族",
    "傈僳族",
    "拉祜族",
    "纳西族",
    "仫佬族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "朝鲜族",
    "达斡尔族",
    "鄂温克族",
    "鄂伦春族",
    "藏族",
    "回族",
    "土族",
    "满族",
    "壮族",
    "苗族",
    "彝族",
    "侗族",
    "瑶族",
    "白族",
    "傣族",
    "黎族",
    "佤族",
    "畲族",
    "羌族",
    "水族",
    "哈尼族",
    "景颇族",
]
_PROVINCE_SET = frozenset(PROVINCES)
_SARS = frozenset({"香港", "澳门", "台湾"})
_NOT_THE_PLACE = re.compile(
    r"除了?(?:" + "|".join(PROVINCES) + r")(?:省|市|自治区|地区)?(?:以?外|之外)?"
    r"|(?:" + "|".join(PROVINCES) + r")(?=路|街|大道|大街|巷|时间|枸杞)"
)
# a region's short name joins the gazetteer only when it is not a common word (合作市 → 合作, 安定区 →
# 安定 and 清水县 → 清水 are words first): jieba's frequency below this
SHORT_NAME_MAX_FREQ = 800


def norm_place(name: str) -> str:
    """One spelling per place: 北京市 → 北京, 西峰区 → 西峰, 甘南藏族自治州 → 甘南, 东乡族自治县 → 东乡
    (a name too short to strip stays: 成县, 宁县)."""
    if _AUTONOMOUS.search(name):
        base = _AUTONOMOUS.sub("", name)
        stripped = True
        while stripped:
            stripped = False
            for e in _ETHNIC:
                if base.endswith(e) and len(base) > len(e):
                    base, stripped = base[: -len(e)], True
                    break
        if base.endswith("族") and len(base) >= 3:  # 东乡族 (people) → 东乡 (place)
            base = base[:-1]
        return base if len(base) >= 2 else name
    short = _SUFFIX.sub("", name)
    return short if len(short) >= 2 else name


@lru_cache(maxsize=1)
def gazetteer() -> frozenset[str]:
    """Place names from the provinces list and jieba's dictionary (read once per process)."""
    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    tags: dict[str, str] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    names = set(PROVINCES)
    for word, tag in tags.items():
        if tag != "ns" or not 2 <= len(word) <= 5 or "城市" in word or "省市" in word:
            continue
        if (len(word) >= 3 and word.endswith(("省", "市", "县"))) or any(
            word + s in tags for s in ("省", "市", "县")
        ):
            names.add(word)
    return frozenset(names)


class Places:
    """Find places in text; tell whether a question's places agree with an entry's."""

    def __init__(
        self,
        regions: dict[str, tuple[str | None, str, str]],
        *,
        segment: Callable[[str], Iterable[str]] | None = None,
        word_freq: Callable[[str], int] | None = None,
    ) -> None:
        """``segment`` (a word segmenter) makes a match count only on word boundaries (完成县级 names
        no 成县); ``word_freq`` keeps regions' short names that are common words out (合作, 安定)."""
        self.regions = regions
        self._segment = segment
        names = set(gazetteer())
        self._codes: dict[str, set[str]] = {}
        for code, (_parent, _level, name) in regions.items():
            names.add(name)
            short = norm_place(name)
            self._codes.setdefault(short, set()).add(code)
            if short != name and (word_freq is None or word_freq(short) < SHORT_NAME_MAX_FREQ):
                names.add(short)
        self._names = frozenset(names)
        self._lengths = sorted({len(n) for n in names}, reverse=True)
        self._questions: dict[str, frozenset[str]] = {}
        self._interned: dict[frozenset[str], frozenset[str]] = {}
        self._pairs: dict[tuple[str, str], bool] = {}

    def of(self, text: str) -> frozenset[str]:
        """The places ``text`` names (normalised), longest name first at each position (a scan
        of set lookups: 3× faster than one regular expression of the ~3,700 names)."""
        found: set[str] = set()
        names, lengths, n = self._names, self._lengths, len(text)
        bounds: set[int] | None = None
        if self._segment is not None:
            bounds, at = {0}, 0
            for word in self._segment(text):
                at += len(word)
                bounds.add(at)
        i = 0
        while i < n:
            if bounds is not None and i not in bounds:
                i += 1
                continue
            for size in lengths:
                piece = text[i : i + size]
                if len(piece) == size and piece in names and (bounds is None or i + size in bounds):
                    found.add(norm_place(piece))
                    i += size
                    break
            else:
                i += 1
        return frozenset(found)

    def _chain(self, code: str) -> set[str]:
        out: set[str] = set()
        cur: str | None = code
        while cur is not None and cur not in out:
            out.add(cur)
            cur = self.regions[cur][0] if cur in self.regions else None
        return out

    def compatible(self, a: str, b: str) -> bool:
        """Same place, or KB regions one inside the other."""
        if a == b:
            return True
        key = (a, b) if a < b else (b, a)
        got = self._pairs.get(key)
        if got is None:
            got = any(
                ca in self._chain(cb) or cb in self._chain(ca)
                for ca in self._codes.get(a, ())
                for cb in self._codes.get(b, ())
            )
            self._pairs[key] = got
        return got

    def agreement(self, asked: frozenset[str], named: frozenset[str]) -> int:
        """+1: the entry is about a place asked about; -1: it names only other places; 0: no place
        on one side."""
        if not asked or not named:
            return 0
        return 1 if any(self.compatible(a, b) for a in asked for b in named) else -1

    def of_entry(self, question: str, region_code: str | None) -> frozenset[str]:
        """An entry's places: those its question names (memoised per question text: a matter's
        regional variants share it), and its region."""
        got = self._questions.get(question)
        if got is None:
            got = self._questions[question] = self.of(question)
        if region_code and region_code in self.regions:
            got = got | {norm_place(self.regions[region_code][2])}
        # one object per distinct set: 400k entries share a few hundred of them
        return self._interned.setdefault(got, got)

    def provinces(self, text: str, region_code: str | None = None) -> frozenset[str]:
        """The provinces ``text`` names, by name (上海, 浙江省, 港澳台 for each) or through a KB region
        inside one (广州 → 广东), and the province of ``region_code``. Not a province: one excluded
        (除湖北省外), a street or a time named after one (江西路, 北京时间), or 香港, 澳门 and 台湾, whose
        people ask about the mainland's procedures."""
        text = _NOT_THE_PLACE.sub("", text)
        found: set[str] = set()
        for place in self.of(text):
            if place in _PROVINCE_SET:
                found.add(place)
            for code in self._codes.get(place, ()):
                found.add(self._province_of(code))
        if region_code and region_code in self.regions:
            found.add(self._province_of(region_code))
        return frozenset(found - _SARS)

    def _province_of(self, code: str) -> str:
        cur = code
        while self.regions.get(cur, (None,))[0] is not None:
            cur = self.regions[cur][0]  # type: ignore[assignment]
        return norm_place(self.regions[cur][2]) if cur in self.regions else ""

    def province_conflict(
        self, question: str, entry_question: str, entry_region: str | None, asker_region: str | None = None
    ) -> bool:
        """The question names a province and the entry is about others only: 北京的造价工程师变更注册
        against Guangdong's 办事指南, 广西现在是几级响应 against 新疆's. Never when the asker lives in the
        entry's province (在上海看病回来怎么报销 asks a Gansu caller's own office about another place),
        and cities outside the KB's regions are not placed (呼和浩特), so they never conflict."""
        asked = self.provinces(question)
        if not asked:
            return False
        named = self.provinces(entry_question, entry_region)
        if asker_region and asker_region in self.regions and self._province_of(asker_region) in named:
            return False
        return bool(named) and not (asked & named)
