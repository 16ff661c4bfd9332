"""Pages for measuring OCR: text rendered with real fonts, a photographed-looking page, a mixed table.

Each page comes with its reference text, and ``char_error_rate`` scores an OCR reading against it,
so the OCR benchmark and the OCR quality tests use one definition. Fonts are looked up with
``fc-list`` (Debian: fonts-noto-cjk, fonts-arphic-uming, fonts-wqy-zenhei, fonts-dejavu-core,
fonts-liberation2; scripts/setup.sh installs them); a missing font gives ``None``, never a fallback.
"""

from __future__ import annotations

import random
import re
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache

DPI = 300
A4 = (2480, 3508)  # pixels at 300 dpi
MARGIN = 236  # 2 cm

ZH_PARAGRAPHS = [
    '据国家铁路集团统计，二〇二三年全国铁路旅客发送量达到三十八亿人次，同比增长百分之一百三十，创历史新高'
    '。春运期间，各地车站增开临时列车，售票系统每天处理的请求超过一百亿次，候车大厅里挤满了返乡的旅客和他'
    '们的行李。',
    '长江发源于青藏高原的唐古拉山脉，全长约六千三百公里，是亚洲第一长河。它自西向东流经青海、西藏、四川、'
    '云南、重庆、湖北、湖南、江西、安徽、江苏和上海，最终注入东海，沿岸分布着众多历史悠久的城市。',
    '向量数据库把文档切分成若干片段，每个片段经过嵌入模型变成一个固定维度的向量。检索时，系统先把查询语句'
    '编码，再按照余弦相似度排序，返回最相近的结果；关键词检索则依靠倒排索引，两种方法融合后效果往往更好。',
    '大熊猫主要生活在四川、陕西和甘肃的山区竹林中，以竹子为主食，每天要花十几个小时进食。野外大熊猫的数量'
    '已经恢复到一千八百多只，保护区内的监测人员通过红外相机记录它们的活动轨迹与繁殖情况。',
    '故宫博物院位于北京中轴线的中心，始建于明朝永乐年间，占地七十二万平方米，拥有大小宫殿七十多座。为了保'
    '护古建筑，景区实行实名预约制度，每天限流三万人，周一闭馆进行例行维护和文物修复工作。',
    '西湖位于浙江省杭州市西部，三面环山，面积约六点三九平方千米。苏堤春晓、断桥残雪、雷峰夕照等十景闻名中'
    '外，每逢节假日，湖边的步道上游人如织，茶农也在附近的山坡上采摘新鲜的龙井茶叶。',
    '数据导入任务启动后，调度器会为每个文件创建一个子任务：先从对象存储下载原始内容，再解析文本、识别图片'
    '中的文字、切分段落、计算向量，最后写入索引。任何一步失败都会记录原因，并按照预设的间隔自动重试三次。',
    '敦煌莫高窟开凿于十六国时期，历经北魏、隋、唐、五代、宋、西夏和元等朝代的持续营建，现存洞窟七百三十五'
    '个，壁画四万五千平方米，彩塑两千余身。为了减缓壁画的褪色，研究院采用数字化技术永久保存其影像。',
    '黄山以奇松、怪石、云海、温泉和冬雪闻名，主峰莲花峰海拔一千八百六十四米。登山者通常在凌晨出发，沿着陡'
    '峭的石阶攀登，只为在光明顶上看一次日出；山上的天气变化很快，雾气常在几分钟之内聚散。',
    '秦始皇统一六国之后，推行书同文、车同轨，统一度量衡和货币，并修筑驰道与长城。兵马俑坑于一九七四年被当'
    '地农民打井时偶然发现，出土的陶俑神态各异，其制作工艺至今仍令考古学家和游客惊叹不已。',
    '在图书馆的古籍阅览室里，读者须先洗手，再戴上白色棉手套，才能翻阅线装书。管理员会记录借阅者的姓名、单'
    '位与查阅目的，珍贵的宋元刻本只提供影印件，原件则放在恒温恒湿的库房里，避免纸张发黄变脆。',
    '气象台预报，受冷空气影响，本周后期华北、东北地区将出现大风降温天气，最低气温下降八到十摄氏度，局部地'
    '区有雨夹雪。交通部门提醒驾驶员减速慢行，注意保持车距，农户应及时加固大棚，防止作物受冻减产。',
    '云南的普洱茶以大叶种晒青毛茶为原料，经过渥堆发酵制成熟茶，生茶则自然陈化。茶马古道曾经连接滇藏川三地'
    '，马帮驮着茶叶和盐巴翻越雪山峡谷，换回皮毛与药材，这条商路延续了一千多年。',
    '哈尔滨的冰雪大世界每年十二月开园，工人们从松花江上切割出数十万立方米的冰块，搭建城堡、滑梯与灯光隧道'
    '。夜幕降临时，彩灯把冰雕映得晶莹剔透，零下二十多度的严寒也挡不住游客拍照留念的热情。',
    '这家工厂的生产线每分钟可以组装十二台洗衣机，质检员在出厂前逐台测试电机噪音、排水速度和漏电保护。去年'
    '引进的机械臂把焊接误差控制在零点一毫米以内，次品率比三年前降低了将近一半。',
    '中医认为，饮食要顺应四季的变化：春季宜养肝，多吃绿色蔬菜；夏季宜清热，可以喝绿豆汤；秋季干燥，应当润'
    '肺；冬季寒冷，适合进补。当然，均衡膳食与规律作息比任何单一的食疗方子都更加重要。',
    '桂林山水甲天下，漓江两岸的喀斯特峰林倒映在碧绿的江水里。渔民驾着竹筏，带着驯养的鸬鹚在夜间捕鱼，如今'
    '这门古老的手艺更多地成为表演项目，吸引摄影爱好者在清晨的薄雾中按下快门。',
]

EN_PARAGRAPHS = [
    'The quarterly report shows revenue growth of twelve percent, driven mostly by the new storage tier '
    'and by customers who moved their archives from tape. Operating costs rose more slowly than sales, so'
    ' the margin improved for the third quarter in a row.',
    'When a file arrives in the bucket, the scheduler creates a job for it: the worker downloads the '
    'object, extracts the text, splits it into passages, computes one embedding per passage and writes '
    'the vectors to the index. A failed step is retried three times with growing delays.',
    'Invoice number 4471 is due on the fifteenth of March. Please quote the order reference on every '
    'payment, and send any questions about the amount to the accounts team before the due date, so that '
    'the late fee can be waived if the delay was ours.',
    'The lighthouse on the northern cape was built in 1868 from granite quarried a few miles inland. Its '
    'lamp was converted to electricity in 1931, and the last keeper left in 1989, when the light became '
    'fully automatic and the cottages were turned into a small museum.',
    'Search quality depends on both the keyword index and the semantic model. Keyword matching finds '
    'exact product codes and rare names, while embeddings find passages that say the same thing in '
    'different words; fusing the two rankings usually beats either one alone.',
    'Before the hike, check the weather forecast, pack enough water, and tell someone your route. The '
    'trail climbs steeply for the first two miles, then follows the ridge past three small lakes, where '
    'camping is allowed only in the marked areas near the ranger station.',
]

MIXED_PARAGRAPHS = [
    '我们在 Kubernetes 集群里部署了三个 Milvus 节点，每个节点配置 16 GB 内存。通过 Prefect '
    '调度导入任务后，系统每小时可以处理大约 4000 份 PDF 文档，平均延迟低于 200 毫秒。',
    '如果 API 返回 HTTP 401，请检查 Bearer token 是否过期；返回 429 '
    '表示请求过于频繁，客户端应当按照 Retry-After 头部给出的秒数等待后再重试。',
    '嵌入模型 all-MiniLM-L6-v2 的输出维度是 384，而 multilingual '
    '模型支持中文和英文混合查询。在 SciFact 数据集上，hybrid search 的 nDCG@10 比单独使用 '
    'BM25 高出约 0.03。',
    'The upload endpoint accepts files up to 100 MB. 上传接口支持 '
    'PDF、DOCX、PPTX 和 PNG 等格式，文件名可以包含中文字符。',
]

TABLE_ROWS = [
    ["产品名称", "型号 Model", "单价 (元)", "库存 Stock", "备注"],
    ["向量数据库服务", "Milvus 2.5", "1280.00", "36", "含三年维保"],
    ["对象存储网关", "MinIO GW-8", "860.50", "120", "Ships in 3 days"],
    ["光学字符识别模块", "OCR-Pro v4", "399.99", "0", "缺货，预计下周到"],
    ["嵌入模型加速卡", "EmbedX 16GB", "7650.00", "8", "需要 PCIe 4.0"],
    ["调度器许可证", "Prefect Pro", "2100.00", "54", "按年订阅"],
    ["文档解析插件", "Parser Suite", "150.00", "300", "支持 PDF 与 DOCX"],
]

_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_TOKEN = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+|\s+")
_SPACE_BY_CJK = re.compile(rf"\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+")


@dataclass(frozen=True)
class Font:
    """A font face: its file, the face index in a collection (.ttc), a readable name."""

    path: str
    index: int
    name: str


@cache
def find_font(family: str, styles: tuple[str, ...] = ("Regular", "Book", "Light")) -> Font | None:
    """The installed face of ``family`` in the first of ``styles`` it has (``fc-list``), or None."""
    try:
        listing = subprocess.run(["fc-list", "-f", "%{file}|%{index}|%{family}|%{style}\n"],
                                 capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    faces = {}
    for row in sorted(listing.splitlines()):
        path, index, families, style = (row.split("|") + ["", "", ""])[:4]
        if family in families.split(","):
            for name in style.split(","):
                faces.setdefault(name, Font(path, int(index or 0), family))
    return next((faces[s] for s in styles if s in faces), None)


def points(size_pt: float) -> int:
    """Pixels of a font size in points at 300 dpi."""
    return round(size_pt * DPI / 72)


def _wrap(paragraph: str, font, width: int) -> list[str]:  # noqa: ANN001 (a PIL font)
    """Lines of ``paragraph`` that fit ``width``: CJK breaks between characters, Latin between words."""
    lines, line = [], ""
    for token in _TOKEN.findall(paragraph):
        if line and not token.isspace() and font.getlength(line + token) > width:
            lines.append(line.rstrip())
            line = ""
        if line or not token.isspace():
            line += token
    return lines + [line.rstrip()] if line.strip() else lines


def render_page(paragraphs: list[str], font: Font, size_pt: float, *, size: tuple[int, int] = A4,
                indent: bool = True):  # noqa: ANN201 (a PIL image and its text)
    """A white page (grey levels) of ``paragraphs`` set in ``font``, and its reference text.

    Chinese-style first-line indent of two characters and half a line between paragraphs; text that
    does not fit the page is left out of both the image and the reference.
    """
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(font.path, points(size_pt), index=font.index)
    px = points(size_pt)
    leading, width = round(px * 1.5), size[0] - 2 * MARGIN
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    y, kept = MARGIN, []
    for paragraph in paragraphs:
        first = 2 * px if indent else 0
        lines = _wrap(paragraph, face, width - first)
        if len(lines) > 1:  # later lines use the full width
            lines = lines[:1] + _wrap(paragraph[len(lines[0]):].lstrip(), face, width)
        for i, line in enumerate(lines):
            if y + leading > size[1] - MARGIN:
                return image, "\n".join(kept)
            draw.text((MARGIN + (first if i == 0 else 0), y), line, fill=0, font=face)
            kept.append(line)
            y += leading
        y += leading // 2
    return image, "\n".join(kept)


def render_table(rows: list[list[str]], font: Font, size_pt: float):  # noqa: ANN201
    """A ruled table (one line per row, cells in columns), and its reference (cells by spaces, rows by lines)."""
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(font.path, points(size_pt), index=font.index)
    pad, row_h = points(size_pt) // 2, round(points(size_pt) * 2.2)
    widths = [max(face.getlength(row[c]) for row in rows) + 2 * pad for c in range(len(rows[0]))]
    xs = [MARGIN + sum(widths[:c]) for c in range(len(widths) + 1)]
    height = 2 * MARGIN + row_h * len(rows)
    image = Image.new("L", (max(A4[0], round(xs[-1]) + MARGIN), height), 255)
    draw = ImageDraw.Draw(image)
    for r, row in enumerate(rows):
        top = MARGIN + r * row_h
        draw.line([(xs[0], top), (xs[-1], top)], fill=0, width=3)
        for c, cell in enumerate(row):
            draw.text((xs[c] + pad, top + (row_h - points(size_pt)) // 2 - pad // 3), cell, fill=0, font=face)
    bottom = MARGIN + len(rows) * row_h
    draw.line([(xs[0], bottom), (xs[-1], bottom)], fill=0, width=3)
    for x in xs:
        draw.line([(x, MARGIN), (x, bottom)], fill=0, width=3)
    return image, "\n".join(" ".join(row) for row in rows)


def photograph(image, seed: int = 7, skew_deg: float = 1.5):  # noqa: ANN001, ANN201
    """``image`` as a phone photo of paper: slight skew, blur, uneven light, sensor noise, JPEG artefacts."""
    import io

    import numpy as np
    from PIL import Image, ImageFilter

    rng = np.random.default_rng(seed)
    tilted = image.rotate(skew_deg, resample=Image.BICUBIC, expand=True, fillcolor=235)
    soft = tilted.filter(ImageFilter.GaussianBlur(1.3))
    pixels = np.asarray(soft, dtype=np.float32)
    h, w = pixels.shape
    light = np.linspace(0.72, 1.0, w)[None, :] * np.linspace(1.0, 0.85, h)[:, None]  # lamp at the top left
    pixels = pixels * light + rng.normal(0, 10, pixels.shape)
    noisy = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buffer = io.BytesIO()
    noisy.save(buffer, "JPEG", quality=55)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def normalise(text: str) -> str:
    """Text as compared: NFKC (full-width ，：（ = ,:( ), no whitespace next to CJK, other runs one space."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", " ", _SPACE_BY_CJK.sub("", text)).strip()


def char_error_rate(reference: str, hypothesis: str) -> float:
    """Character error rate: edit distance (insert, delete, substitute) / reference length, both normalised."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = normalise(reference), normalise(hypothesis)
    return Levenshtein.distance(ref, hyp) / max(1, len(ref))


def shuffled(paragraphs: list[str], seed: int) -> list[str]:
    """The paragraphs in another order (pages with the same fonts then differ)."""
    order = list(paragraphs)
    random.Random(seed).shuffle(order)
    return order
