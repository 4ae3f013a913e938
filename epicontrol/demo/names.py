"""Chinese names (with pinyin) for the synthetic city: people, divisions, estates and places."""

from __future__ import annotations

import numpy as np

from epicontrol.core.crypto import mask_name

PROVINCE = ("江南省", "Jiangnan Sheng")
CITY = ("云州市", "Yunzhou Shi")
CITY_SHORT = ("云州", "Yunzhou")

# Urban districts (区) first, then counties (县): the generator makes the outer ones counties.
DISTRICT_STEMS = (
    ("东湖", "Donghu"), ("西城", "Xicheng"), ("江北", "Jiangbei"), ("鼓楼", "Gulou"),
    ("青山", "Qingshan"), ("新华", "Xinhua"), ("高新", "Gaoxin"), ("天河", "Tianhe"),
    ("白云", "Baiyun"), ("长安", "Chang'an"), ("金水", "Jinshui"), ("雨花", "Yuhua"),
)  # fmt: skip
COUNTY_STEMS = (
    ("永安", "Yong'an"), ("宁远", "Ningyuan"), ("清河", "Qinghe"), ("安平", "Anping"),
    ("石门", "Shimen"), ("桃源", "Taoyuan"), ("华容", "Huarong"), ("平江", "Pingjiang"),
)  # fmt: skip

# Two-syllable stems for streets, towns, communities, villages and roads.
PLACE_STEMS = (
    ("解放", "Jiefang"), ("人民", "Renmin"), ("建设", "Jianshe"), ("中山", "Zhongshan"),
    ("花园", "Huayuan"), ("友谊", "Youyi"), ("胜利", "Shengli"), ("工农", "Gongnong"),
    ("长江", "Changjiang"), ("黄河", "Huanghe"), ("文化", "Wenhua"), ("光明", "Guangming"),
    ("东风", "Dongfeng"), ("红旗", "Hongqi"), ("前进", "Qianjin"), ("幸福", "Xingfu"),
    ("五一", "Wuyi"), ("向阳", "Xiangyang"), ("朝阳", "Chaoyang"), ("北门", "Beimen"),
    ("南门", "Nanmen"), ("东门", "Dongmen"), ("西门", "Ximen"), ("桥头", "Qiaotou"),
    ("金桥", "Jinqiao"), ("望江", "Wangjiang"), ("湖滨", "Hubin"), ("城南", "Chengnan"),
    ("城北", "Chengbei"), ("新港", "Xingang"), ("月湖", "Yuehu"), ("桂花", "Guihua"),
    ("杨家", "Yangjia"), ("李家", "Lijia"), ("王家", "Wangjia"), ("张家", "Zhangjia"),
    ("刘家", "Liujia"), ("陈家", "Chenjia"), ("白沙", "Baisha"), ("清水", "Qingshui"),
    ("龙泉", "Longquan"), ("凤凰", "Fenghuang"), ("松柏", "Songbai"), ("梅林", "Meilin"),
    ("荷塘", "Hetang"), ("柳树", "Liushu"), ("枫树", "Fengshu"), ("大桥", "Daqiao"),
    ("新民", "Xinmin"), ("永兴", "Yongxing"), ("太平", "Taiping"), ("双拥", "Shuangyong"),
    ("汇丰", "Huifeng"), ("丰收", "Fengshou"), ("团结", "Tuanjie"), ("民主", "Minzhu"),
    ("石桥", "Shiqiao"), ("黄土", "Huangtu"), ("马坡", "Mapo"), ("洪山", "Hongshan"),
    ("卓刀", "Zhuodao"), ("珞珈", "Luojia"), ("水果湖", "Shuiguohu"), ("琴台", "Qintai"),
)  # fmt: skip

ESTATE_STEMS = (
    ("阳光", "Yangguang"), ("翠湖", "Cuihu"), ("金色", "Jinse"), ("锦绣", "Jinxiu"),
    ("幸福", "Xingfu"), ("和平", "Heping"), ("世纪", "Shiji"), ("龙湖", "Longhu"),
    ("碧水", "Bishui"), ("蓝天", "Lantian"), ("紫荆", "Zijing"), ("丽景", "Lijing"),
    ("华府", "Huafu"), ("名都", "Mingdu"), ("东方", "Dongfang"), ("康桥", "Kangqiao"),
    ("书香", "Shuxiang"), ("泰和", "Taihe"), ("枫林", "Fenglin"), ("桃李", "Taoli"),
    ("御景", "Yujing"), ("滨江", "Binjiang"), ("银河", "Yinhe"), ("新城", "Xincheng"),
    ("春天", "Chuntian"), ("盛世", "Shengshi"), ("嘉禾", "Jiahe"), ("明珠", "Mingzhu"),
)  # fmt: skip
ESTATE_SUFFIXES = (
    ("花园", "Huayuan"), ("小区", "Xiaoqu"), ("家园", "Jiayuan"), ("苑", "Yuan"),
    ("华庭", "Huating"), ("新村", "Xincun"), ("公寓", "Gongyu"), ("名苑", "Mingyuan"),
    ("雅居", "Yaju"), ("豪庭", "Haoting"), ("山庄", "Shanzhuang"), ("佳园", "Jiayuan"),
)  # fmt: skip

# The hundred most common surnames with their share of the population in per mille (2020
# household-register statistics, Ministry of Public Security), the two-character ones included.
SURNAMES = (
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 46), ("杨", 31), ("黄", 25),
    ("赵", 23), ("吴", 20), ("周", 19), ("徐", 15), ("孙", 14), ("马", 13), ("朱", 13),
    ("胡", 12), ("郭", 12), ("何", 12), ("林", 11), ("高", 11), ("罗", 10), ("郑", 10),
    ("梁", 9), ("谢", 8), ("宋", 8), ("唐", 8), ("许", 8), ("韩", 7), ("邓", 7), ("冯", 7),
    ("曹", 7), ("彭", 7), ("曾", 7), ("肖", 6), ("田", 6), ("董", 6), ("潘", 6), ("袁", 6),
    ("蔡", 6), ("蒋", 5), ("余", 5), ("于", 5), ("杜", 5), ("叶", 5), ("程", 5), ("魏", 5),
    ("苏", 5), ("吕", 5), ("丁", 5), ("任", 4), ("卢", 4), ("姚", 4), ("沈", 4), ("钟", 4),
    ("姜", 4), ("崔", 4), ("谭", 4), ("陆", 4), ("范", 4), ("汪", 3), ("廖", 3), ("石", 3),
    ("金", 3), ("韦", 3), ("贾", 3), ("夏", 3), ("付", 3), ("方", 3), ("邹", 3), ("熊", 2),
    ("白", 2), ("孟", 2), ("秦", 2), ("邱", 2), ("侯", 2), ("江", 2), ("尹", 2), ("薛", 2),
    ("闫", 2), ("段", 2), ("雷", 2), ("龙", 1), ("黎", 1), ("史", 1), ("陶", 1), ("贺", 1),
    ("毛", 1), ("郝", 1), ("顾", 1), ("龚", 1), ("邵", 1), ("万", 1), ("覃", 1), ("武", 1),
    ("钱", 1), ("戴", 1), ("严", 1), ("欧阳", 1), ("司马", 1), ("上官", 1), ("诸葛", 1),
)  # fmt: skip

# Given-name characters differ by generation: 建国, 淑芬 for the old; 子涵, 梓萱 for the young.
_GIVEN_OLD_MALE = "建国华明军平伟强志勇刚德福文荣林海东庆春宏斌振兵新成"
_GIVEN_OLD_FEMALE = "淑芬秀英兰玉珍桂华凤丽萍红梅霞琴芳敏静燕玲艳娟琼慧"
_GIVEN_YOUNG_MALE = "浩宇轩子涵睿泽博文一诚天昊宸逸航豪俊杰鑫凯鹏帆晨然铭嘉旭"
_GIVEN_YOUNG_FEMALE = "梓萱涵诗雨欣怡佳思可悦晴瑶璐丹蕾薇彤妍茜月珊婷颖倩雪琳"

_CHINESE_DIGITS = "零一二三四五六七八九"
_PINYIN_DIGITS = ("ling", "yi", "er", "san", "si", "wu", "liu", "qi", "ba", "jiu")


def chinese_number(n: int) -> tuple[str, str]:
    """1..99 as Chinese numerals with pinyin: 12 -> ("十二", "shi'er")."""
    if not 1 <= n <= 99:
        return str(n), str(n)
    tens, units = divmod(n, 10)
    hanzi = ""
    syllables: list[str] = []
    if tens:
        hanzi += ("" if tens == 1 else _CHINESE_DIGITS[tens]) + "十"
        syllables += ([] if tens == 1 else [_PINYIN_DIGITS[tens]]) + ["shi"]
    if units:
        hanzi += _CHINESE_DIGITS[units]
        syllables.append(_PINYIN_DIGITS[units])
    # Pinyin marks a syllable boundary before a vowel-initial syllable with an apostrophe.
    pinyin = syllables[0] + "".join(("'" if s[0] in "aeo" else "") + s for s in syllables[1:])
    return hanzi, pinyin


def unique_stems(
    rng: np.random.Generator, count: int, pool: tuple[tuple[str, str], ...]
) -> list[tuple[str, str]]:
    """`count` distinct stems from `pool`, numbered past its size (东湖二) to stay unique."""
    order = rng.permutation(len(pool))
    stems = []
    for i in range(count):
        hanzi, pinyin = pool[int(order[i % len(pool)])]
        rank = i // len(pool)
        if rank:
            number, number_pinyin = chinese_number(rank + 1)
            hanzi, pinyin = hanzi + number, pinyin + number_pinyin
        stems.append((hanzi, pinyin))
    return stems


def estate_names(rng: np.random.Generator, count: int) -> list[tuple[str, str]]:
    """`count` distinct housing-estate names such as ("阳光花园", "Yangguang Huayuan")."""
    combos = len(ESTATE_STEMS) * len(ESTATE_SUFFIXES)
    picks = rng.permutation(combos)[: min(count, combos)]
    names = []
    for i in range(count):
        combo = int(picks[i % len(picks)])
        stem, suffix = (
            ESTATE_STEMS[combo // len(ESTATE_SUFFIXES)],
            ESTATE_SUFFIXES[combo % len(ESTATE_SUFFIXES)],
        )
        hanzi, pinyin = stem[0] + suffix[0], f"{stem[1]} {suffix[1]}"
        if i >= len(picks):
            number, number_pinyin = chinese_number(i // len(picks) + 1)
            hanzi, pinyin = f"{hanzi}{number}期", f"{pinyin} {number_pinyin.capitalize()} Qi"
        names.append((hanzi, pinyin))
    return names


_SURNAME_TABLE = np.array([name for name, _ in SURNAMES])
_SURNAME_WEIGHTS = np.array([weight for _, weight in SURNAMES], dtype=float)


def draw_surnames(rng: np.random.Generator, count: int) -> np.ndarray:
    """Indices into the surname table, drawn by frequency."""
    return rng.choice(len(SURNAMES), size=count, p=_SURNAME_WEIGHTS / _SURNAME_WEIGHTS.sum())


def person_names(
    rng: np.random.Generator, surname_index: np.ndarray, is_male: np.ndarray, birth_year: np.ndarray
) -> np.ndarray:
    """Full names (array of str): family name, then one or two given-name characters."""
    count = len(surname_index)
    is_young = birth_year >= 1985
    pools = {
        (True, False): _GIVEN_OLD_MALE,
        (False, False): _GIVEN_OLD_FEMALE,
        (True, True): _GIVEN_YOUNG_MALE,
        (False, True): _GIVEN_YOUNG_FEMALE,
    }
    first = np.empty(count, dtype="<U1")
    second = np.empty(count, dtype="<U1")
    for (male, young), chars in pools.items():
        selected = (is_male == male) & (is_young == young)
        table = np.array(list(chars))
        first[selected] = table[rng.integers(0, len(table), int(selected.sum()))]
        second[selected] = table[rng.integers(0, len(table), int(selected.sum()))]
    # Single-character given names were common until the 1990s and are rarer now.
    single = rng.random(count) < np.where(is_young, 0.12, 0.3)
    second[single] = ""
    return np.char.add(np.char.add(_SURNAME_TABLE[surname_index], first), second)


def masked_names(names: np.ndarray) -> list[str]:
    """The masked form of each name, as shown without decryption rights."""
    return [mask_name(name) for name in names.tolist()]


SUPERMARKET_BRANDS = (
    "永辉超市",
    "华润万家",
    "步步高超市",
    "大润发",
    "物美超市",
    "联华超市",
    "家乐福",
)
PHARMACY_BRANDS = ("老百姓大药房", "益丰大药房", "大参林药店", "国大药房", "同仁堂药店")
RESTAURANT_NAMES = (
    "牛肉面馆", "湘味小厨", "川香饭店", "兰州拉面", "沙县小吃", "黄焖鸡米饭", "家常菜馆",
    "火锅店", "烧烤店", "饺子馆", "早餐店", "粥铺", "米粉店", "快餐店", "茶餐厅",
)  # fmt: skip
COMPANY_STEMS = (
    "宏达", "华兴", "永盛", "鑫源", "恒通", "金鹏", "瑞丰", "天成", "中联", "新世纪",
    "远大", "顺发", "利民", "长城", "东方红", "富康", "安泰", "正大", "德信", "海川",
)  # fmt: skip
FACTORY_TRADES = ("机械厂", "电子厂", "纺织厂", "食品厂", "建材厂", "印刷厂", "服装厂", "汽配厂")
OFFICE_TRADES = (
    "科技有限公司", "信息技术有限公司", "贸易有限公司", "文化传媒有限公司", "咨询有限公司",
    "网络科技有限公司", "物流有限公司", "房地产开发有限公司", "保险代理有限公司",
)  # fmt: skip
VENUE_KINDS = ("影城", "健身中心", "网吧", "KTV", "棋牌室", "洗浴中心", "图书馆")
UNIVERSITY_NAMES = ("理工大学", "师范学院", "医学院", "职业技术学院", "财经学院", "艺术学院")
ROAD_SUFFIXES = ("路", "大道", "街", "大街")
