"""The bilingual retrieval set: passages from the seed documents (real Chinese technical prose) plus
generated mixed zh/en passages, and queries whose relevant passage is known.

- Seed passages: each ``###`` section of seed 003 (the LLMOps API document) and seed 004, each ``##``
  section of seed 000 (MOI SDK); the section is the passage, its heading included.
- Mixed passages: short engineering notes written for this set, Chinese prose with English terms
  (the way Chinese engineers write), each stating one fact.
- Queries: written by hand for a section or note — Chinese paraphrases (not the heading's words),
  English questions (cross-lingual: only the dense leg can bridge them) and mixed zh/en queries.
  Each has exactly one relevant passage (grade 1).
"""

from __future__ import annotations

import re
from pathlib import Path

SEED_SPLITS = {"000": "## ", "003": "### ", "004": "### "}

# (seed, heading prefix, query): the passage is the seed's section whose heading starts with the prefix
SEED_QUERIES: list[tuple[str, str, str]] = [
    ("003", "### 1.1 ", "how do I fetch an app's basic info by its id"),
    ("003", "### 1.3 ", "怎么把一个应用删掉"),
    ("003", "### 1.4 ", "list my apps page by page"),
    ("003", "### 1.5 ", "把现有应用复制一份"),
    ("003", "### 1.9 ", "查看 app 调试时的 long-term memory"),
    ("003", "### 1.11 ", "在调试模式下和应用聊天"),
    ("003", "### 1.12 ", "stop a running debug chat"),
    ("003", "### 1.14 ", "清除调试对话的历史消息"),
    ("003", "### 1.16 ", "unpublish an application"),
    ("003", "### 1.17 ", "查看应用历次发布的记录"),
    ("003", "### 1.18 ", "roll back a historical config into the draft"),
    ("003", "### 1.20 ", "regenerate the WebApp token 凭证"),
    ("003", "### 2.1 ", "categories of the built-in plugins"),
    ("003", "### 2.4 ", "插件提供商的图标怎么拿"),
    ("003", "### 2.7 ", "create a custom API tool provider"),
    ("003", "### 2.12 ", "check whether an OpenAPI schema string is valid"),
    ("003", "### 3.1 ", "upload a file to Tencent Cloud object storage"),
    ("003", "### 3.2 ", "上传 image 到 COS"),
    ("003", "### 4.2 ", "新建一个知识库"),
    ("003", "### 4.4 ", "delete a knowledge base"),
    ("003", "### 4.6 ", "知识库 hit testing 召回效果"),
    ("003", "### 4.7 ", "recent queries of a knowledge base"),
    ("003", "### 4.9 ", "往知识库里添加新文档"),
    ("003", "### 4.10 ", "check document processing progress by batch id"),
    ("003", "### 4.12 ", "disable or enable a document"),
    ("003", "### 4.16 ", "给文档新增一个 segment"),
    ("003", "### 4.18 ", "edit the content of a document segment"),
    ("003", "### 4.19 ", "片段的开关状态怎么改"),
    ("003", "### 5.3 ", "delete a conversation"),
    ("003", "### 5.4 ", "删除会话里的某一条消息"),
    ("003", "### 5.6 ", "rename a conversation"),
    ("003", "### 5.7 ", "pin a conversation to the top"),
    ("003", "### 6.3 ", "用邮箱和密码登录"),
    ("003", "### 6.4 ", "log out of the current account"),
    ("003", "### 7.2 ", "change my password"),
    ("003", "### 7.4 ", "更换账号头像"),
    ("003", "### 8.1 ", "use AI to improve the preset prompt"),
    ("003", "### 8.2 ", "根据消息生成推荐的追问问题"),
    ("003", "### 9.1 ", "create an API key"),
    ("003", "### 9.4 ", "启用或停用 API 秘钥"),
    ("003", "### 9.6 ", "open chat API for external callers"),
    ("003", "### 10.2 ", "list of built-in app templates"),
    ("003", "### 10.3 ", "把 Agent 模板加到工作区"),
    ("003", "### 11.2 ", "create a new workflow"),
    ("003", "### 11.7 ", "update the workflow graph draft"),
    ("003", "### 11.8 ", "发布工作流"),
    ("003", "### 11.10 ", "debug run a workflow"),
    ("003", "### 12.1 ", "有哪些可用的大语言模型"),
    ("003", "### 12.3 ", "icon image of a language model"),
    ("003", "### 13.2 ", "stop chatting with the assistant agent"),
    ("003", "### 14.1 ", "应用的 analytics 统计数据"),
    ("003", "### 15.2 ", "chat with a published webapp"),
    ("003", "### 16.1 ", "speech to text 语音识别"),
    ("003", "### 16.2 ", "把消息转换成语音播放"),
    ("003", "### 17.2 ", "publish an agent to a WeChat official account"),
    ("004", "### 1. 问答接口", "ask the executive IP assistant a question with streaming output"),
    ("004", "### 3. 创建会话", "新建对话会话"),
    ("004", "### 8. 恢复会话", "restore a deleted session"),
    ("004", "### 9. 上传文件到 MinIO", "upload a file to MinIO object storage"),
    ("004", "### 6. 向量库检索", "素材库 vector search 接口"),
    ("004", "### 7. 下载 QA 模板", "download the QA template"),
    ("004", "### 10. 删除 QA", "删掉问答对"),
    ("000", "## 数据卷（Volume）接口", "SDK 里怎么 create 和 delete volume"),
    ("000", "## 用户（User）接口", "manage users with the MOI SDK"),
    ("000", "## 健康检查与审计日志", "服务健康检查和审计记录"),
]

# (note, query): generated mixed zh/en passages, one fact each
MIXED: list[tuple[str, str]] = [
    ("Redis 缓存预热（cache warm-up）：服务启动时先从 MySQL 读取热点 key，批量写入 Redis，避免冷启动时大量请求"
     "直接打到数据库造成缓存击穿。warm-up 默认并发为 8。", "how to avoid a cache stampede after a cold start"),
    ("Kafka consumer 的 offset 提交策略：我们关闭了 enable.auto.commit，在业务处理成功后手动 commitSync，"
     "保证消息至少被处理一次（at-least-once）。", "手动提交消费位点保证至少一次投递"),
    ("Nginx 反向代理的超时设置：proxy_read_timeout 调到 300s，因为模型推理接口的长连接（SSE）"
     "经常超过默认的 60 秒。", "why did we raise the proxy read timeout for streaming responses"),
    ("数据库连接池（connection pool）使用 HikariCP，maximumPoolSize 设为 CPU 核数的两倍，"
     "idleTimeout 为 10 分钟，超过后空闲连接会被回收。", "how big is the database connection pool"),
    ("Kubernetes 滚动发布：maxUnavailable 设为 0，maxSurge 设为 25%，readinessProbe 通过后才切流量，"
     "保证发布期间服务不中断。", "zero downtime rolling update settings"),
    ("日志采集链路：应用写 JSON 格式日志到 stdout，由 Fluent Bit 收集后发往 Elasticsearch，"
     "索引按天滚动，保留 14 天。", "日志在 Elasticsearch 里保留多久"),
    ("接口限流（rate limiting）采用令牌桶算法，每个 API key 每秒 20 个请求，突发上限 40，"
     "超过返回 HTTP 429。", "what happens when a client sends too many requests per second"),
    ("JWT access token 有效期 2 小时，refresh token 有效期 30 天；refresh 时旧的 refresh token "
     "立即作废，防止重放攻击。", "令牌过期后如何续期"),
    ("向量检索的 embedding 模型切换：新模型维度不同（768 vs 512）时必须新建 collection 并全量重建索引，"
     "不能在旧 collection 上增量更新。", "can I switch the embedding model without reindexing"),
    ("定时任务调度使用 cron 表达式，时区统一为 Asia/Shanghai；夏令时不影响，因为中国不实行夏令时。",
     "which timezone do scheduled jobs use"),
    ("S3 分片上传（multipart upload）：文件大于 100 MB 时按 16 MB 分片并发上传，失败的分片单独重试，"
     "全部完成后调用 CompleteMultipartUpload 合并。", "大文件怎么上传到对象存储"),
    ("灰度发布（canary release）先把 5% 流量切到新版本，观察错误率和 p99 延迟 30 分钟，"
     "没有异常再逐步放量到 100%。", "how much traffic goes to the new version first"),
    ("Prometheus 告警规则：5 分钟内 HTTP 5xx 比例超过 2% 触发 P1 告警，通过 Alertmanager "
     "推送到值班群。", "服务端错误率多高会报警"),
    ("分布式锁使用 Redis 的 SET NX PX 实现，锁超时 30 秒，释放锁时用 Lua 脚本比较 value，"
     "避免误删别人的锁。", "how do we make sure a client only releases its own lock"),
    ("全文检索的中文分词使用 jieba，英文做小写化和词干提取（stemming），停用词表包含常见的标点和虚词。",
     "how is Chinese text tokenized for keyword search"),
    ("OCR 识别扫描件时先做去噪和倾斜校正（deskew），再交给识别引擎；表格区域单独检测，"
     "按单元格输出文本。", "scanned pages are straightened before recognition"),
    ("Webhook 回调失败会按 1 分钟、5 分钟、30 分钟指数退避重试三次，仍失败则进入死信队列"
     "（dead letter queue）人工处理。", "回调失败后重试几次"),
    ("多租户隔离：每条记录带 tenant_code 和 org_code，查询时在 SQL 层强制追加过滤条件，"
     "跨租户访问返回 403。", "how are tenants kept from seeing each other's data"),
    ("前端构建使用 Vite，生产环境开启 gzip 和 brotli 压缩，静态资源加 content hash 文件名，"
     "CDN 缓存一年。", "静态文件在 CDN 上缓存多长时间"),
    ("备份策略：MySQL 每天凌晨 3 点全量备份，binlog 每 5 分钟同步到异地，恢复演练每季度一次。",
     "how often do we run database backup restore drills"),
    ("GPU 推理服务按 batch 聚合请求，最大 batch size 32，最长等待 10 毫秒，"
     "吞吐比逐条推理高约 6 倍。", "动态批处理能提升多少吞吐"),
    ("配置中心（config center）用 Nacos，配置变更通过长轮询推送到客户端，"
     "敏感配置如数据库密码加密存储。", "where are secrets like database passwords stored"),
    ("搜索结果的 rerank：先取 BM25 和向量召回各 50 条，合并去重后用 cross-encoder 重新打分，"
     "返回前 10 条。", "how many candidates does each retriever return before re-ranking"),
    ("WebSocket 心跳：客户端每 25 秒发送 ping，服务端 60 秒收不到心跳就断开连接并清理会话状态。",
     "长连接多久没心跳会被断开"),
]


def split_sections(text: str, marker: str) -> list[tuple[str, str]]:
    """(heading line, section text) for each section that starts with ``marker`` at a line start."""
    starts = [m.start() for m in re.finditer(rf"^{re.escape(marker)}", text, flags=re.M)]
    sections = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        if marker == "### ":  # a section also ends where the next higher-level heading starts
            nxt = re.search(r"^#{1,2} ", text[start + 4:end], flags=re.M)
            end = start + 4 + nxt.start() if nxt else end
        body = text[start:end].strip()
        sections.append((body.splitlines()[0], body))
    return sections


def build(seeds: Path) -> tuple[dict[str, str], dict[str, str], dict[str, dict[str, int]]]:
    """Passages (id → text), queries (id → text) and qrels (query id → {passage id: 1})."""
    passages: dict[str, str] = {}
    headings: dict[tuple[str, str], str] = {}
    for seed, marker in SEED_SPLITS.items():
        text = next(seeds.glob(f"{seed}_*.txt")).read_text(encoding="utf-8")
        for n, (heading, body) in enumerate(split_sections(text, marker)):
            pid = f"s{seed}-{n:03d}"
            passages[pid] = body
            headings[(seed, heading)] = pid
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    for i, (seed, prefix, query) in enumerate(SEED_QUERIES):
        found = [pid for (s, heading), pid in headings.items() if s == seed and heading.startswith(prefix)]
        if len(found) != 1:
            raise ValueError(f"seed {seed} heading {prefix!r}: {len(found)} sections")
        queries[f"q{i:03d}"] = query
        qrels[f"q{i:03d}"] = {found[0]: 1}
    for i, (note, query) in enumerate(MIXED):
        pid = f"mixed-{i:03d}"
        passages[pid] = note
        queries[f"m{i:03d}"] = query
        qrels[f"m{i:03d}"] = {pid: 1}
    return passages, queries, qrels


def kind(query: str) -> str:
    """``zh`` (mostly CJK), ``en`` (no CJK) or ``mixed``."""
    cjk = sum(1 for ch in query if "\u4e00" <= ch <= "\u9fff")
    latin = sum(1 for ch in query if ch.isascii() and ch.isalpha())
    if not cjk:
        return "en"
    return "zh" if latin < 3 else "mixed"
