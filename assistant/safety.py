"""What the assistant must never answer from the KB, and privacy masking.

``screen(text)`` sorts a message before retrieval: an emergency, a complaint or report, chit-chat,
a prompt injection or unusable input each get a fixed handling (ticket or safe reply) whatever
the KB holds, because a government line answering those from a FAQ would be wrong or unsafe.
The rules are keyword patterns on normalised text: they must catch spoken phrasing (no punctuation,
fillers), so they match words, not sentence shapes.

``mask(text)`` hides phone and ID numbers; it runs before logging and before any LLM call.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from assistant.urgency import urgency
from tickets.privacy import mask_text

MAX_MESSAGE_CHARS = 2000

Kind = Literal["ok", "empty", "junk", "injection", "chitchat", "emergency", "complaint"]


def mask(text: str) -> str:
    """Hide phone and ID numbers, keeping enough to recognise them (tickets.privacy's one rule).

    >>> mask("电话13812345678，身份证620102199001011234")
    '电话138****5678，身份证620102********1234'
    """
    return mask_text(text)


def normalise(text: str) -> str:
    """NFKC, drop control characters and collapse whitespace (full-width forms become ASCII)."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return re.sub(r"\s+", " ", text).strip()


_INJECTION = re.compile(
    r"忽略(之前|以上|前面|上面|先前|所有|你的)|无视(之前|以上|前面|所有)|(系统|原始)提示|system ?prompt|"
    r"开发者模式|developer mode|越狱|jailbreak|没有任何限制|不受任何限制|扮演一个|你现在(是|进入)|"
    r"(输出|打印|显示|告诉我)(你的)?(提示词|指令|规则|系统)|知识库(里|中)?(所有|全部)的?(原始)?数据|"
    r"ignore (all |the )?(previous|above|prior)|^系统[:：]|把你的回答改成|直接结束这个工单|"
    r"查.{0,8}(开房|通话|聊天)记录|(手机|他人|别人|我老公|我老婆).{0,4}定位|"
    # spoken variants: forget the set-up, play a role, pose as staff, ask for other callers' data
    r"(忘掉|忘记|抛开)(你的?)?(前面|之前|以上|原来|所有)的?(设定|指令|规则|限制)|忘掉你的(设定|指令|规则)|"
    r"(指令|设定|提示)(的)?原文|扮演(我|一个|成)|(念|告诉我|发给我).{0,12}后台.{0,4}(密码|账号)|"
    r"我是(你们)?的?(系统)?管理员|(所有|全部|来电人|用户).{0,12}(手机号|电话|住址|身份证).{0,8}导出|"
    r"(上一个|前一个|别的|其他)(打电话|来电)的?(人|用户).{0,20}(念|告诉我|发给我|给我听)|"
    r"(最高优先级|上级要求).{0,6}指令|以后每条回复|"
    # session 9's: rules ignored in other words, hidden set-up asked for, a false grant of authority
    r"(忽略|无视|不用管|不要管)(你|你的|之前|以上|前面|所有|一切|安全)[^，。]{0,8}(规则|规定|指令|限制|设定|约束)|你的?(内部|隐藏|后台)的?(配置|指令|提示|设定)|(内部|隐藏|后台)的?(指令|提示词)|"
    r"调试模式|debug ?mode|不用再?查知识库|知识库的?(全部|所有)内容|授权你.{0,6}(进入|开启|忽略|无视|输出|绕过|解除)|本次.{0,4}已授权",
    re.IGNORECASE,
)
_COMPLAINT = re.compile(
    r"投诉|举报|检举|控告|维权|曝光|态度(太)?(差|恶劣)|不作为|乱收费|扰民|吵得|太吵|噪音|臭味|"
    r"不发工资|拖欠|欠薪|没发工资|一分钱.{0,4}(没|不)|不给退|拖着不|咬伤|被偷|偷了|诈骗|骗子|"
    r"打我|打人|被打|掐|虐待|私自|霸占|强拆|违建|乱停|堵(了|住)|偷排|偷偷排|油烟|烦死|"
    r"没人管|谁来管|管管|找谁说理|说理去|帮我催|催一下|点个赞|表扬一下|反映一下|反映个|找谁反映|"
    r"怎么办啊|一直不热|不热|停水|停电|断水|断电|漏水|黄的|怪味|死鱼|延期交房|烂尾|摔了|摔倒|"
    # session 9's: wages owed in other words, a broken thing to mend, a blocked fire lane, nobody acting
    r"欠(了)?(我|俺|咱)(们)?.{0,8}工资|工资.{0,6}(一直)?不给|不给(开)?(票|发票|收据)|找谁(来)?修(?!.{0,10}(收费|钱|补贴|费用))|派人(来)?修|(停|堆|占|堵|锁).{0,10}消防通道|消防通道.{0,4}(被|给)?(堵|占|停满|锁)|(物业|社区|城管|街道|派出所|他们|你们|村委会?|居委会?|交警|民警|部门).{0,4}管不了|"
    r"(楼上|楼下|隔壁|邻居|对面|门口|附近|小区|单元).{0,20}(吵|闪|响|臭|堵|坏|漏|占(?!道费|用费)|堆|乱|脏|过不去|没地方)",
)
_CHITCHAT = re.compile(
    r"^(你好|您好|喂|hello|hi|在吗|在不在|谢谢|好的|嗯|哦|再见|拜拜)[啊呀吗呢!！。.?？ ]*$|"
    r"^今天天气|天气(怎么样|如何|好吗|咋样)|讲个笑话|笑话|你是(机器人|真人|谁|ai)|写(一篇|篇|个)?.{0,6}(作文|文章|诗)|"
    r"翻译(成|为)|股市|股票|炒股|房价.{0,6}(涨|跌)|(涨|跌)还是|你觉得|假如你是|如果你是|聊聊天|陪我聊|"
    r"哪家.{0,4}(好吃|好玩)|好吃不|好看的电视剧|电视剧.{0,4}推荐|剧荒|生日礼物|送什么好|双色球|开奖号码|你叫什么|你的名字|你今年几岁|"
    r"(找个人|陪我|跟我)(说说话|聊聊)|(写|帮我写).{0,4}请假条|(能|听得)(听)?[见到]吗[ 喂]*$|讲个故事|讲讲.{0,12}故事|"
    r"^[^，,。]{0,4}(谢谢|多谢)[啊呀了你您啦哈嗯 ]{0,4}(没事了)?[啊呀了拜再见 ]*$|没事了.{0,3}(拜拜|再见)?[啊呀。.!！]*$|"
    # thanks and goodbyes in more words, the weather as small talk
    r"^(?!.*(怎么|咋|哪|什么(?!事)|啥(?!事)|多少|几点|能不能|可以|要不要|申请|办|吗)).*辛苦(了|啦)[啊呀 ,，。!！]*(拜拜|再见)?[啊呀。.!！]*$|没(什么|啥)事.{0,3}就是(谢谢|感谢)(你们?|您)?[啊呀了哈 ]*$|^[^，。]{0,8}会不会下雨[啊呀呢吗 ]*(我?要不要带伞[啊呀呢吗 ]*)?$|^[^，。]{0,6}要不要带伞[啊呀呢吗 ]*$",
    re.IGNORECASE,
)


# How an office treated the caller (窗口的人一直在玩手机, 前前后后跑了四趟, 推来推去) is a complaint even
# where the office's window or the matter is named, unless the caller asks where to complain or what
# the rules are.
_CONDUCT = re.compile(
    r"(?:工作人员|窗口|办事员|柜台|职员|民警|他们|那人|那个人).{0,10}(?:一直|光|就|在)玩手机"
    r"|跑了(?:好)?[几两三四五六七八九十\d]+趟.{0,6}(?:没|不|还)|推来推去|互相推诿|(?:来回|互相)踢皮球|踢来踢去"
    # how staff spoke to the caller (态度太差了 俺问两句就吼俺; 俺/咱 are 我 in the north-west's speech)
    r"|(?:工作人员|窗口|办事员|柜台|职员|民警|医生|护士|司机).{0,12}态度.{0,3}(?:差|恶劣|不好|凶)|[吼骂凶](?:了)?(?:我|俺|咱)"
)
# A caller saying they will complain (我要投诉她, 俺们想举报) is a complaint even beside a window's name,
# unless they ask how, where or what it takes (我要投诉物业 找哪个部门, 我想举报 举报有奖励吗)
_COMPLAIN_INTENT = re.compile(r"(?:我|俺|咱)(?:们)?(?:就|一定)?(?:要|想)(?:投诉|举报)")
# ... a question about the rules for such conduct is not (公务员推诿怎么问责, 最多跑一次政策是什么)
_ASKS_CHANNEL_OR_RULES = re.compile(
    r"(投诉|举报|监督)(电话|热线|渠道)|(怎么|如何|去哪|哪里|在哪|往哪)(投诉|举报)|政策|规定|问责|处罚|扣几分"
    r"|(哪个|什么|啥)电话|电话(是|号码)?(多少|是啥|几号)"
)
# A complaint word inside a question about the channel (投诉电话多少, 举报奖励去哪办, 火灾认定复核)
# is an information request the KB answers; these cues mark that.
_INFO_REQUEST = re.compile(
    r"(投诉|举报|监督|咨询|服务)(电话|热线)|电话(是|号码)?(多少|是啥|几号)|(哪个|什么)电话|热线|哪个部门|"
    r"什么部门|渠道|途径|(哪个|什么|哪)平台|网站|窗口|(怎么|如何|去哪|哪里|在哪|往哪)(投诉|举报|检举|申请|办理|查)|"
    r"复核|认定|奖励|审批|许可|政策|公证|条件|材料|期限|多少天|几天|多久|有(啥|什么|哪些)(要求|规定)|"
    # spoken asks for the line or the way (要投诉 打哪个号, 往哪打电话投诉, 还可以通过什么方式反映), and
    # a question whether a supply will be cut (水费欠着 会不会给我停水啊), not a report that it was
    r"(打|拨)(哪个|什么|啥)(号|电话)(?!.{0,3}[都也])|打哪(?!.{0,5}[都也])|(?<!不知道)往哪.{0,2}打(?!.{0,3}[都也了])|(?<!不知道)找谁(投诉|举报)(?!.{0,3}[都也])|(通过|有)(什么|哪些|啥)方式(?!.{0,3}[都也])|(要不要|有没有|会不会|收不收|免不免|交不交)(交|收|有|又)?滞纳金|"
    r"(欠|没交|交不上|交不起|停产|停业).{0,20}会不会.{0,6}(停|断)(水|电|气)"
)
# Only administrative matters override an emergency word (火灾事故认定复核), never "怎么办".
_ADMIN_REQUEST = re.compile(r"复核|认定|审批|许可|政策|公证|奖励|条件|材料|期限|措施|救助|评价|申请")


def _is_junk_char(ch: str) -> bool:
    """Letters that turn up when bytes are decoded as text (Latin-1 supplement, replacement, private use)."""
    o = ord(ch)
    return 0x80 <= o <= 0xFF or o == 0xFFFD or 0xE000 <= o <= 0xF8FF


@dataclass(frozen=True)
class Screen:
    kind: Kind
    text: str  # the normalised, length-capped message to work with
    reason: str = ""


def screen(raw: str | bytes | None) -> Screen:
    """Sort a citizen message before retrieval; ``kind == "ok"`` means the KB may answer it."""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    text = normalise(raw or "")
    if not text:
        return Screen("empty", "", "empty message")
    meaningful = sum(1 for ch in text if ch.isalnum() and not _is_junk_char(ch))
    if meaningful < max(1, len(text) // 2):
        return Screen("junk", text[:200], "no readable text")
    truncated = len(text) > MAX_MESSAGE_CHARS
    text = text[:MAX_MESSAGE_CHARS]
    if m := _INJECTION.search(text):
        return Screen("injection", text, f"instruction-like text: {m.group(0)}")
    info = _INFO_REQUEST.search(text)
    urgent = urgency(text)
    if urgent.urgent and not _ADMIN_REQUEST.search(text):
        return Screen("emergency", text, f"possible emergency: {', '.join(urgent.reasons)}")
    if (m := _CONDUCT.search(text)) and not _ASKS_CHANNEL_OR_RULES.search(text):
        return Screen("complaint", text, f"complaint about how an office served: {m.group(0)}")
    # (the window named there is where it happened, not what is asked)
    asks = _INFO_REQUEST.search(text.replace("窗口", "")) or _ASKS_CHANNEL_OR_RULES.search(text)
    if (m := _COMPLAIN_INTENT.search(text)) and not asks:
        return Screen("complaint", text, f"complaint or report: {m.group(0)}")
    if (m := _COMPLAINT.search(text)) and not info:
        return Screen("complaint", text, f"complaint or report: {m.group(0)}")
    if (m := _CHITCHAT.search(text)) and not info:
        return Screen("chitchat", text, f"not a service question: {m.group(0)}")
    return Screen("ok", text, "truncated long message" if truncated else "")


SAFE_REPLIES: dict[str, str] = {
    "empty": "您好，请说一下您想咨询或反映的问题。",
    "junk": "抱歉，没能识别您的消息内容，请用文字重新描述一下您的问题。",
    "injection": "抱歉，我只能解答政务服务方面的问题，或帮您转交人工处理。请直接说明您要咨询或反映的事项。",
    "chitchat": "您好，我是12345政务服务热线助手，可以解答办事政策问题，或帮您登记诉求转交相关部门。请问有什么可以帮您？",
    "emergency": "您反映的情况可能涉及人身或公共安全。如有危险请立即拨打110、119或120；我们已为您生成工单草稿，确认后立即转交处理。",
    "complaint": "您反映的问题需要相关部门核实处理，已为您生成工单草稿，请核对后确认提交。",
    "escalate": "这个问题知识库里暂时没有准确的答复，已为您生成工单草稿，确认后将转交人工处理。",
}
