"""Urgency rules: every kind of urgent call is flagged, spoken look-alikes are not, and the dev sets
reach full recall.

The cases below are written for these tests in the way callers talk to the hotline (speech
recognition output: no punctuation, fillers, spaces, near-homophones such as 然气). None is copied
from the dev sets, which are measured separately in `test_dev_sets_recall_and_precision`.
"""

from __future__ import annotations

import json

import pytest

from assistant.urgency import urgency

URGENT = [
    ("喂 你好 我家那个燃气灶旁边一直有股味儿 好像是漏气了 我不敢开灯", "gas_leak"),
    ("就是楼道里天然气的味道特别冲 整个单元都能闻到", "gas_leak"),
    ("我们饭店后面那个液化气罐一直呲呲的响 是不是漏了", "gas_leak"),
    ("对门家一股臭鸡蛋味 敲门也没人开 我怕是漏气", "gas_leak"),
    ("小区外面挖掘机把然气管道挖破了 现在还在往外冒气", "gas_leak"),
    ("我们隔壁那个厂房起火了 黑烟滚滚的 你们快派人来", "fire"),
    ("楼下电动车充电的时候着火了 楼道里全是烟", "fire"),
    ("山上着火了 风很大 往村子这边烧过来了", "fire"),
    ("小区配电箱那里冒烟了还有火花 噼里啪啦的", "fire"),
    ("刚才听到一声巨响 好像是哪里爆炸了 玻璃都震碎了", "fire"),
    ("有人在麦地里烧秸秆 火苗都快烧到旁边的草垛了", "fire"),
    ("高速上有个拉化学品的车翻了 地上流了好多液体 味道很刺鼻", "hazmat"),
    ("化工厂那边一股刺鼻的味道 我们好几个人都头晕恶心", "hazmat"),
    ("学校食堂吃完饭好几个孩子上吐下泻 都送医院了", "poisoning"),
    ("我爸在屋里烧炭取暖 现在叫不醒了 是不是煤气中毒", "poisoning"),
    ("我们村后面山上下大雨 山洪下来了 路都冲断了", "disaster"),
    ("后山那个坡一直在往下掉石头 下面就是住户", "disaster"),
    ("河堤那边决口了 水往村里灌", "disaster"),
    ("刚下了好大的冰雹 把大棚都砸烂了 有人被砸伤了", "disaster"),
    ("隔壁那个老房子的墙塌了 砸到一个路过的老人", "collapse"),
    ("工地的脚手架歪了随时要倒 下面好多人在干活", "collapse"),
    ("风太大了 路边的广告牌摇摇欲坠 底下就是公交站", "collapse"),
    ("我们小区门口的下水道井盖不见了 晚上黑漆漆的 太危险", "open_manhole"),
    ("窨井盖被偷了 就在学校门口", "open_manhole"),
    ("村口那根电线掉下来了 耷拉在地上 小孩子放学都从那走", "electrical"),
    ("刚才有个工人在杆子上触电了 人挂在上面", "electrical"),
    ("电梯卡在八楼和九楼中间了 我跟我孩子在里面出不来", "trapped"),
    ("孩子被锁在车里了 车主找不到 天这么热", "trapped"),
    ("有个小孩掉河里了 快来人啊", "drowning"),
    ("水库边上有人落水了 我们不会游泳", "drowning"),
    ("我妈有老年痴呆 早上出门到现在都没回家 电话也打不通", "missing_person"),
    ("我儿子有智力障碍 在公园走散了 找了两个小时都找不着了", "missing_person"),
    ("我女儿放学一直没回来 平时五点就到家了", "missing_person"),
    ("超市门口有个老大爷晕倒了 一动不动的", "medical"),
    ("路上有人被车撞了 流了好多血 躺在地上起不来", "medical"),
    ("我朋友在天台上说不想活了 我劝不住他", "self_harm"),
    ("有个女的站在桥上要往下跳", "self_harm"),
    ("我老公喝了农药 现在在吐", "self_harm"),
    ("菜市场有个男的拿着菜刀追着人砍", "violence"),
    ("楼下两拨人打起来了 有人拿砖头砸 都见血了", "violence"),
    ("隔壁又在家暴 一直在打他老婆 哭喊救命", "violence"),
    ("我们五六十个工人在公司门口拉横幅讨薪 老板叫了一帮人过来要动手", "group_incident"),
    ("上百个业主把售楼处围住了 堵着门不让人走", "group_incident"),
    ("好几十个村民把路堵了 说征地款没给 车都过不去", "group_incident"),
    ("十字路口信号灯全灭了 车跟人抢着走 刚才差点撞上", "traffic_signal"),
    ("我们这边暴雨 地下通道积水已经淹到腰了 还有车往里开", "flooding"),
    ("下大雨水都灌进屋里了 家里就我跟我奶奶", "flooding"),
    ("路灯杆漏电 刚才我家狗碰了一下就倒了 人走过去太危险了", "electrical_risk"),
    ("马路中间突然塌陷了一个大坑 随时会有车掉进去", "structural_risk"),
    ("楼上有块玻璃悬着快掉下来了 下面是人行道", "falling_object"),
    ("那个 我闻到楼下有煤汽味 特别大", "gas_leak"),
    ("厨房里好像有燃气泄露的声音 滋滋的", "gas_leak"),
    ("我家天燃气管子好像坏了 一直有味道", "gas_leak"),
    ("喂喂 快点来人 我们这栋楼失火了", "fire"),
    ("对面楼十几层的窗户往外冒黑烟 好像着了", "fire"),
    ("仓库里面烧起来了 火很大", "fire"),
    ("车库里有辆车自燃了", "fire"),
    ("我们村后山塌方了 把路埋了 有车被压在下面", "disaster"),
    ("雨太大了河水漫上来了 村里的路都淹了 老人走不出来", "flooding"),
    ("小区地下车库进水了 水越来越深 有人还在里面挪车", "flooding"),
    ("桥下面的涵洞积水很深 有辆车熄火了 人还在车上", "flooding"),
    ("家门口那个电线杆被车撞断了 电线拖在地上", "electrical"),
    ("楼下配电房一直在响 还有焦糊味 冒烟了", "fire"),
    ("我爷爷在厕所里摔倒了 叫他也不答应", "medical"),
    ("公交车上有个人突然倒下去了 口吐白沫", "medical"),
    ("我邻居家小孩从三楼阳台掉下去了", "medical"),
    ("小区游泳池有个小孩沉下去了", "drowning"),
    ("孩子在河边玩 现在找不到人了", "missing_person"),
    ("我家孩子有自闭症 在商场跑丢了", "missing_person"),
    ("我妈精神不太好 昨天出门到现在都没回来", "missing_person"),
    ("有个人坐在楼顶边上 腿都悬在外面", "self_harm"),
    ("我实在活不下去了 不想活了 工资一直不给", "self_harm"),
    ("我弟弟说要吃安眠药 我联系不上他了", "self_harm"),
    ("村口有两家人打架 拿着铁锹 要打出人命了", "violence"),
    ("有个醉汉拿刀在街上乱挥", "violence"),
    ("有人在砸我家的门 说要弄死我", "violence"),
    ("一百来号人围在项目部门口 要跟包工头拼命", "group_incident"),
    ("三四十个家长堵在学校门口 不让老师出来", "group_incident"),
    ("工地二十来个农民工爬到楼顶上 说不给钱就跳下去", "self_harm"),
    ("路口红绿灯不亮了 车都抢着走 已经撞了两辆车", "traffic_signal"),
    ("高速上有很多石头滚下来 挡在路中间", "disaster"),
    ("小区那棵老槐树被风吹得快倒了 下面停着好多车还有人", "collapse"),
    ("施工的塔吊晃得厉害 感觉随时会倒", "collapse"),
    ("马路边的井盖被车压翻了 有个大洞", "open_manhole"),
    ("化肥厂那边氨气泄漏了 眼睛都睁不开", "hazmat"),
    ("河里漂来好多油 还冒泡 味道呛人 周围的人都头疼", "hazmat"),
    ("我们一家人吃了蘑菇之后都在吐 头晕", "poisoning"),
    ("电梯突然停了 门打不开 我在里面好闷", "trapped"),
    ("孩子把手卡在扶梯里了", "trapped"),
    ("有个老人被困在山上下不来了 天快黑了", "trapped"),
    ("山上发生了森林火灾", "fire"),
    ("楼上有人往下扔东西 差点砸到我孩子", "falling_object"),
    ("家里插座冒火花 还有烧焦的味道", "fire"),
    ("我们这边下冰雹了 好大一颗一颗 车窗都砸碎了", "disaster"),
    ("刚才地震了 房子晃得厉害 墙上都裂了", "disaster"),
    ("嗯 就是我们单元门口一进来就一股子天然气味儿 熏得人头疼", "gas_leak"),
    ("那个煤气罐的管子老化了 哧哧往外冒 我把阀门关不上", "gas_leak"),
    ("我们家楼上好像着火了 烟从窗户往外冒", "fire"),
    ("麦场那边火烧起来了 快来", "fire"),
    ("对面的饭馆后厨起大火了", "fire"),
    ("我们这个小区后面的山坡在往下滑 房子后墙都裂开了", "disaster"),
    ("村里的河涨水了 过河的桥被冲垮了 有人在对岸过不来", "collapse"),
    ("下暴雨把我们村的土房子泡塌了 一家人还在里面", "collapse"),
    ("隧道里有辆货车在冒烟 后面堵了好多车", "fire"),
    ("有一根高压线断了掉在马路上 还在冒火花", "fire"),
    ("我们这儿有个人被电打了 倒在地上", "medical"),
    ("电梯困住了 里面有个孕妇", "trapped"),
    ("有个小孩被卡在防盗窗里了 头出不来", "trapped"),
    ("有个老头掉到冰窟窿里了", "drowning"),
    ("河边有人喊救命 好像有人掉水里了", "drowning"),
    ("我奶奶有老年痴呆 今天下午走丢了 穿个红衣服", "missing_person"),
    ("我们家小孩出去玩到现在还没回家 天都黑了", "missing_person"),
    ("我姐姐抑郁症 给我发消息说要去死", "self_harm"),
    ("有个男的在天台上来回走 说活着没意思", "self_harm"),
    ("楼下有人在打架 一个人头都被打破了 一直在流血", "violence_report"),
    ("我丈夫喝醉了在家拿刀 说要杀了我", "violence"),
    ("两伙人在街上拿着棍子打 好几十个人", "violence"),
    ("四五十个业主现在堵在售楼部门口 情绪很激动", "group_incident"),
    ("几十个工人把工地大门堵了 不让车进出 要讨工资", "group_incident"),
    ("街上有个人躺着 一动不动 不知道还有没有气", "medical"),
    ("我爸突然说不出话了 半边身子不能动", "medical"),
    ("有个老太太被电动车撞了 头上一直流血", "medical"),
    ("路中间的井盖不见了 已经有辆电动车摔进去了", "open_manhole"),
    ("那边有个广告牌被风吹得要掉下来了 下面全是人", "collapse"),
    ("我们这有条路塌了一个大洞 刚才差点有车掉进去", "collapse"),
    ("路口信号灯坏了 一直红灯 车都闯过去 刚才差点撞到学生", "traffic_signal"),
    ("化工厂爆炸了 声音好大 黑烟冒起来了", "fire"),
    ("有辆拉汽油的车撞了 油漏了一地", "hazmat"),
    ("附近工厂一直飘来刺鼻的气体 好多人咳嗽头晕", "hazmat"),
    ("幼儿园的孩子吃了午饭好多都在吐 都送医院去了", "poisoning"),
    ("屋里烧着炉子 我老婆头晕站不起来了", "poisoning"),
    ("小区的地下室进水了 水已经到胸口了", "flooding"),
    ("山里下大雨发洪水了 有几户人家被水围住了", "disaster"),
    ("我邻居家门口有人放火 火已经烧着了", "fire"),
    ("有几个人在河边钓鱼 电线碰到鱼竿了 有人触电", "electrical"),
    ("您好 我们宿舍楼闻着像是有燃气的味道 整层楼都是", "gas_leak"),
    ("我家热水器那边嘶嘶响 一股煤气味 孩子还在睡觉", "gas_leak"),
    ("后面那个废品站烧起来了 火好大 旁边就是加油站", "fire"),
    ("那个电瓶车在楼道里突然着了", "fire"),
    ("小区东门那个变压器炸了 现在整个小区停电还冒烟", "fire"),
    ("我们村有户人家房子着火了 老人还在里面没出来", "fire"),
    ("下大雨山上冲下来好多泥巴石头 把几户人家的门都堵了", "disaster"),
    ("我们镇上的河堤有个口子在漏水 越漏越大", "disaster"),
    ("村子被水淹了 好多人爬到房顶上了", "disaster"),
    ("路上有个电线杆快倒了 电线都垂下来了 学生马上放学", "collapse"),
    ("楼道里电表箱在冒火 噼里啪啦响", "fire"),
    ("我老公在工地上被钢筋砸了 人昏过去了", "medical"),
    ("我儿子吃了药店买的药 现在浑身抽", "medical"),
    ("有个人倒在公厕门口 喊他没反应", "medical"),
    ("我们这个小区有个人从楼上掉下来了", "medical"),
    ("我家小孩在水库那边游泳 现在人不见了", "missing_person"),
    ("我爷爷患有阿尔茨海默病 出门买菜到现在没回来", "missing_person"),
    ("我女儿十二岁 跟我吵了一架离家出走了 手机关机", "missing_person"),
    ("我有个朋友在微信上跟我说在江边 要跳江", "self_harm"),
    ("他欠我钱不还 我今天就去他家跟他同归于尽", "self_harm"),
    ("有个人拿着刀在小区里追着人跑", "violence"),
    ("有人在街上抢包 把一个老太太拖倒了", "violence"),
    ("一群人拿着钢管在饭店里砸东西", "violence"),
    ("我们三十多个工人在劳动局门口坐着不走 老板再不给钱就去跳河", "self_harm"),
    ("上百个村民堵了国道 说要讨个说法", "group_incident"),
    ("路口的红绿灯一直闪黄灯 车乱成一锅粥 刚才撞了两次了", "traffic_signal"),
    ("学校门口的井盖被挖走了 小孩放学都要经过", "open_manhole"),
    ("小区里那棵树被雷劈了 树干裂开随时会倒", "collapse"),
    ("我家楼下的挡土墙裂了好大一条缝 往外鼓 感觉要塌", "collapse"),
    ("外墙的瓷砖一直往下掉 刚才砸到一个人的头", "collapse"),
    ("那个化工园区里传出一股很臭的气味 我们好几个人眼睛疼流眼泪", "hazmat"),
    ("一辆危险品运输车在高速上侧翻了", "hazmat"),
    ("我们单位好几个同事吃了食堂的饭以后上吐下泻", "poisoning"),
    ("下雨地下通道被淹了 有辆公交车困在里面", "trapped"),
    ("我们这里刮大风 工地的围挡倒了压到了人", "collapse"),
    ("有个孩子被关在楼顶的天台上下不来", "trapped"),
    ("我爸心脏不舒服 胸口疼 喘不过来气", "medical"),
    ("邻居家老人好几天没出门了 敲门也没人应 屋里有味道", "welfare_check"),
    ("有个小孩在马路中间乱跑 车开得很快 很危险", "child_in_danger"),
    ("刚才听见砰的一声 楼下燃气管道那里起火了", "fire"),
]
NOT_URGENT = [
    "我想问一下燃气费在哪里交 手机上能交吗",
    "天然气开户要带什么材料",
    "燃气灶打不着火了 找谁来修",
    "家里的煤气表好像走得特别快 这个月多扣了好多钱",
    "楼道里堆了好多纸箱子 有火灾隐患 物业也不管",
    "火灾事故认定书出来了 我不服 怎么申请复核",
    "小区消防通道被私家车占了 能不能管一管",
    "工厂烟囱天天冒黑烟 空气特别差",
    "隔壁烧烤店油烟太大了 熏得窗户都不能开",
    "楼上天天晚上跺脚 吵得我睡不着",
    "广场舞的音响开得太大声了 天天扰民",
    "物业一点都不作为 电梯坏了一个星期都没人修",
    "我们小区电梯老是坏 上周还突然往下掉了一下 物业说维保会来",
    "老板拖欠我三个月工资 人也联系不上了",
    "包工头跑了 我们十几个人的工钱都没结",
    "路灯不亮好几天了 晚上走路黑乎乎的",
    "路口红绿灯坏了好几天了 也没人来修",
    "垃圾好几天都没人收 都臭了",
    "我们小区一下雨就积水 出门不方便",
    "楼上卫生间漏水 把我家天花板都泡了",
    "井盖一压就哐哐响 晚上吵得睡不着",
    "小区里的树太高了 挡着我家阳光",
    "路面有好多坑 开车颠得厉害",
    "村里有人在河边挖沙 河岸都塌了一块",
    "我想咨询一下洪水过后房屋损毁的补助怎么申请",
    "地震避难场所在哪里 想带孩子去看看",
    "孩子学校离家太远了 能不能换个学校",
    "孩子找不到对口学校 入学怎么办",
    "我家老人的养老金一直没到账",
    "养老院的护工上个月打了我爸 我有视频要举报",
    "小区门口好多人排队做核酸 太挤了",
    "村里几十个人在广场上跳舞 音乐放得很大",
    "商场门口挂横幅做广告 挡住了路",
    "这家店跳楼价甩卖好几年了 是不是虚假宣传",
    "这是我的救命钱 被那个理财公司骗走了",
    "我报了120急救培训班 证书什么时候发",
    "停水两天了也不通知一下 做饭都没水",
    "暖气一点都不热 屋里才十五度",
    "邻居在楼道里私拉电线给电动车充电 我很担心",
    "快递丢了 快递公司互相推诿",
    "我的身份证丢了 怎么补办",
    "公司要倒闭了 工资还没发",
    "小区里有人遛狗不牵绳 咬伤过小孩",
    "我要投诉出租车司机绕路",
    "医院挂号太难了 黄牛太多",
    "冬天防止煤气中毒有什么注意事项",
    "没有着火 就是邻居家烧东西的味道有点大 能不能让他别烧了",
    "燃汽公司收费太贵了",
    "我家天燃气怎么还没通",
    "想问一下液化气罐去哪里检测",
    "消防栓被人拆了 没人管",
    "小区消防设施都过期了",
    "楼下超市把纸箱堆在消防通道",
    "邻居在阳台上烧香 烟飘到我家",
    "晚上工地施工 吵得孩子睡不着",
    "公司拖欠工资 几十个工人都没拿到钱 怎么去仲裁",
    "好多业主对物业不满意 想换物业怎么办",
    "小区里老年人多 能不能加装电梯",
    "孩子在学校被同学欺负了 老师也不管",
    "我妈住院了 医保报销比例是多少",
    "我家老人走路不方便 能不能申请轮椅",
    "村里的河道好多垃圾 臭得很",
    "小区门口红绿灯时间太短了 老人过不去",
    "这条路太窄了 车开得快 建议装个减速带",
    "井盖周围的路面下陷了一点 车过去颠",
    "我们这边经常停电 冰箱东西都坏了",
    "下雨天小区门口积水 鞋都湿了",
    "想问一下地震保险怎么买",
    "洪水冲坏的庄稼有没有补贴",
    "我爸喝酒喝多了 天天在家骂人",
    "隔壁小孩天天哭 吵得很",
    "网上买东西被骗了五百块",
    "有人冒充公安局打电话给我",
    "我老公天天打游戏不管孩子",
    "房东不退押金",
    "出租车拒载",
    "外卖送得太慢了 都凉了",
    "物业费涨价没开业主大会",
    "小区电梯广告太吵了",
    "楼道里的灯坏了 晚上看不见",
    "路边的树枝太长了 挡住了路灯",
    "幼儿园收费太高了",
    "老人去世了 丧葬费怎么领",
    "我想举报有人违规占用耕地盖房",
    "工厂排放的废水颜色很怪",
    "我们村的自来水有股漂白粉的味道",
    "冬天暖气片漏水 把地板泡了",
    "孩子打疫苗后有点发烧 正常吗",
    "我想咨询一下防汛物资怎么领",
    "单位组织消防演练 在哪报名",
    "想问问电动车上楼充电会不会罚款",
    "路边有个大坑好久了 一直没人填",
    "我家燃气灶坏了 能不能派人来修",
    "燃气公司上门安检 收费合理吗",
    "小区充电桩太少了 电动车没地方充",
    "楼顶的太阳能热水器漏水",
    "我想投诉 邻居家装修天天砸墙 吵死了",
    "小区里有人打篮球 晚上声音太大",
    "公交站台的顶棚破了 下雨淋湿",
    "村里的路灯坏了一半 晚上太黑",
    "路口的红绿灯时间设置不合理 等太久",
    "有人在小区里乱贴小广告",
    "我们单位拖欠社保 怎么投诉",
    "五六十个工人的工资都欠着 什么时候能给",
    "小区门口的水果摊占道经营",
    "隔壁家的狗天天叫",
    "邻居在楼道里放鞋柜",
    "楼下的空调外机滴水 滴到我家窗台上",
    "马路上的减速带太高了",
    "小区的监控坏了好几个月了",
    "我家孩子上学要走很远的路 有没有校车",
    "我妈七十多了 高龄补贴怎么领",
    "我的医保卡丢了怎么补",
    "天然气涨价了 有没有听证",
    "我想问一下煤改气的补贴什么时候发",
    "河道里有人游泳 能不能立个禁止游泳的牌子",
    "水库边上没有护栏 建议装一个",
    "小区的消防栓没有水",
    "楼道的应急灯不亮",
    "地下车库的排风扇坏了 有点闷",
    "电梯年检过期了",
    "学校门口的斑马线都磨没了",
    "我们这里老是停气 做饭不方便",
    "饭店的厨房卫生很差",
    "公园里的健身器材坏了",
    "我想给孩子报个游泳班 哪里安全",
    "老年痴呆的父母能不能申请护理补贴",
    "我老公天天不回家 我该怎么办",
    "工厂晚上有异味 不知道排的什么",
    "听说附近要建化工厂 我们反对",
    "去年山洪冲坏的路什么时候修",
    "我想了解一下防溺水的宣传材料哪里领",
    "燃气公司的人上门态度很差",
    "我家的燃气表没电了 怎么换电池",
    "我想办理天然气过户",
    "小区里有人在烧烤 烟很大",
    "我要举报有人在楼道吸烟",
    "物业把消防通道锁起来了",
    "我们小区的电梯经常停 物业不修",
    "电动车充电桩收费太贵了",
    "路边的下水道堵了 污水往外冒",
    "我家旁边的工地半夜还在干活 太吵了",
    "三十多个业主联名要求换物业 物业不同意",
    "我们一百多户的暖气都不热",
    "村里修路占了我家的地 没给补偿",
    "我爸爸的退休金算错了",
    "孩子的学籍转不过来",
    "我想问一下献血有什么要求",
    "公园里的湖水很脏 有味道",
    "小区门口有个坑 下雨积水 车过会溅一身",
    "路灯太亮了 晃得睡不着",
    "我们这条路经常有大车超速",
    "高速收费站排队太长了",
    "我在网上看到一个招聘 是不是骗人的",
    "邻居家的猫跑到我家来了",
    "我们楼的外墙保温层有点脱落 影响美观",
    "我家老人想去养老院 有没有推荐",
    "我想咨询一下孩子走失了怎么报警 提前了解一下",
    "家里的电线老化了 想找人改造 找谁",
    "社区通知明天有暴雨 需要准备什么",
    "我家对面的楼在拆 灰尘很大",
    "我家的房子有点裂缝 开发商不给修",
    "单位发的防暑降温费太少了",
    "我想问一下地铁什么时候开通",
    "这个路口太容易堵车了 能不能加个红绿灯",
    "村里的广播天天早上六点就响",
    "我买的燃气热水器有质量问题 商家不给换",
    "同事老是打我小报告",
    "我们这里的河水发黑发臭 好几年了",
    "楼下理发店的音乐太吵",
    "我孩子被学校老师骂了 回家一直哭",
    "出租屋的热水器用着不热",
]


# Recorded on the dev sets (16 urgent, 124 non-urgent items): precision 16/16 = 1.0, and no
# non-urgent item flagged. The floors sit lower on purpose: a missed emergency costs more than a
# false alarm, so a rule that buys recall on unseen calls may cost a false alarm or two, never more.
DEV_PRECISION_FLOOR = 0.85
DEV_NON_URGENT_KEPT_FLOOR = 0.97


@pytest.mark.parametrize(("text", "reason"), URGENT)
def test_urgent_calls_are_flagged_with_their_reason(text: str, reason: str) -> None:
    result = urgency(text)
    assert result.urgent, text
    assert reason in result.reasons, (text, result.reasons)


@pytest.mark.parametrize("text", NOT_URGENT)
def test_look_alike_complaints_are_not_urgent(text: str) -> None:
    result = urgency(text)
    assert not result.urgent, (text, result.reasons)


def test_patterns_have_no_formatted_tuples() -> None:
    # an rf-string with {0,4} formats the tuple "(0, 4)" instead of a regex repeat
    from assistant.urgency import CUED_RULES, RULES

    assert not [name for name, p in {**RULES, **CUED_RULES}.items() if "(0, " in p.pattern]


def test_own_cases_are_enough_and_distinct() -> None:
    assert len(URGENT) >= 40 and len(NOT_URGENT) >= 40
    assert len({t for t, _ in URGENT} | set(NOT_URGENT)) == len(URGENT) + len(NOT_URGENT)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a cued hazard needs the caller to say it is dangerous or happening now
        ("路口信号灯坏了", False),
        ("路口信号灯坏了 车乱开 太危险了", True),
        ("小区路灯杆漏电", False),
        ("小区路灯杆漏电 刚才差点电到小孩", True),
        # negation and prevention talk about a hazard without one
        ("家里没有煤气味 就是想问问燃气表怎么换", False),
        ("家里煤气味很重", True),
        ("怎么预防孩子溺水", False),
        ("有个孩子溺水了", True),
        # paperwork about a past event, unless it is still going on
        ("火灾过后的补助怎么申请", False),
        ("仓库起火了 现在还在烧", True),
    ],
)
def test_cues_negation_and_paperwork(text: str, expected: bool) -> None:
    assert urgency(text).urgent is expected, urgency(text).reasons


def test_spacing_and_full_width_do_not_matter() -> None:
    assert urgency("煤 气 味 很 重").reasons == urgency("煤气味很重").reasons == ["gas_leak"]
    assert urgency("ＳＯＳ 救命啊 有人 被困 在 电梯里").urgent


def test_marked_urgent_needs_an_immediate_request() -> None:
    assert urgency("紧急情况，请立即派人到现场").reasons == ["marked_urgent"]
    assert not urgency("不紧急，有空看看").urgent


def _dev_items(shared_dir) -> list[tuple[str, bool]]:
    items = []
    for name, key in (("out_of_kb.jsonl", "query"), ("tickets.jsonl", "text")):
        with (shared_dir / "eval" / name).open(encoding="utf-8") as fh:
            items += [(row[key], bool(row["urgent"])) for row in map(json.loads, fh)]
    return items


def test_dev_sets_recall_and_precision(shared_dir) -> None:
    """Recall on every urgent dev item must be 1.0; precision stays above the recorded floor."""
    items = _dev_items(shared_dir)
    flagged = [(text, gold, urgency(text).urgent) for text, gold in items]
    urgent = [f for f in flagged if f[1]]
    assert len(urgent) >= 10, "the dev sets hold at least 10 urgent items"
    missed = [text for text, gold, got in flagged if gold and not got]
    false_alarms = [text for text, gold, got in flagged if got and not gold]
    assert not missed, f"urgent dev items not flagged: {missed}"
    precision = len(urgent) / (len(urgent) + len(false_alarms))
    assert precision >= DEV_PRECISION_FLOOR, f"precision {precision:.3f}; false alarms: {false_alarms}"
    kept = 1 - len(false_alarms) / (len(items) - len(urgent))
    assert kept >= DEV_NON_URGENT_KEPT_FLOOR, f"non-urgent kept {kept:.3f}; false alarms: {false_alarms}"
