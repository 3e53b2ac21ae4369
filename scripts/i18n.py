"""Refresh ecan's Qt translations: run pyside6-lupdate over ecan/ui (keeping what is already
translated), fill the Simplified Chinese strings kept below, add the domain's messages (the
`Messages` context: every UserFacingError message and hint in the source, see
scripts/i18n_messages.py), compile with pyside6-lrelease. Also
ecan_en: English has no translation but its plurals ("%n avatar(s)" -> "1 avatar", "2 avatars"),
which only a translation file gives Qt (lupdate -pluralonly).
Run: .venv/bin/python scripts/i18n.py   (prints any source text still untranslated)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TS = ROOT / "ecan" / "assets" / "translations" / "ecan_zh_CN.ts"
EN_TS = ROOT / "ecan" / "assets" / "translations" / "ecan_en.ts"

# English plural forms (one, other) of every source text counted with %n.
EN: dict[str, tuple[str, str]] = {
    "%n avatar(s)": ("%n avatar", "%n avatars"),
    "{shown} of %n avatar(s)": ("{shown} of %n avatar", "{shown} of %n avatars"),
    "%n built-in avatar(s) are ready to use: choose “Built-in avatars” above to see them.": (
        "%n built-in avatar is ready to use: choose “Built-in avatars” above to see it.",
        "%n built-in avatars are ready to use: choose “Built-in avatars” above to see them."),
    "Delete %n avatar(s)? They move to the trash on all your computers; Edit > Trash… "
    "brings them back.": (
        "Delete %n avatar? It moves to the trash on all your computers; Edit > Trash… "
        "brings it back.",
        "Delete %n avatars? They move to the trash on all your computers; Edit > Trash… "
        "brings them back."),
    "in %n day(s)": ("in %n day", "in %n days"),
    "Restored %n avatar(s).": ("Restored %n avatar.", "Restored %n avatars."),
    "Moved %n avatar(s) to the trash. Edit > Trash… brings them back.": (
        "Moved %n avatar to the trash. Edit > Trash… brings it back.",
        "Moved %n avatars to the trash. Edit > Trash… brings them back."),
    "%n of the selected avatars cannot be deleted and stay:": (
        "%n of the selected avatars cannot be deleted and stays:",
        "%n of the selected avatars cannot be deleted and stay:"),
    "Retrying %n upload(s).": ("Retrying %n upload.", "Retrying %n uploads."),
    "Signed out · %n waiting": ("Signed out · %n waiting", "Signed out · %n waiting"),
    "This computer has %n avatar(s) you added without signing in. Move them into "
    "{account}'s library?": (
        "This computer has %n avatar you added without signing in. Move it into "
        "{account}'s library?",
        "This computer has %n avatars you added without signing in. Move them into "
        "{account}'s library?"),
    "Moved %n avatar(s) into your account; they upload now.": (
        "Moved %n avatar into your account; it uploads now.",
        "Moved %n avatars into your account; they upload now."),
    "Restored %n avatar(s) from the cloud.": ("Restored %n avatar from the cloud.",
                                              "Restored %n avatars from the cloud."),
    "“{name}” is the avatar of %n agent(s) ({agents}): give them another avatar first.": (
        "“{name}” is the avatar of the agent {agents}: give it another avatar first.",
        "“{name}” is the avatar of %n agents ({agents}): give them another avatar first."),
    "“{name}” is the avatar of %n agent(s): give them another avatar first.": (
        "“{name}” is the avatar of an agent: give it another avatar first.",
        "“{name}” is the avatar of %n agents: give them another avatar first."),
    "%n task(s) · {rate} succeeded · analyse {a} s, generate {g} s on average · "
    "{credits} images used": (
        "%n task · {rate} succeeded · analyse {a} s, generate {g} s on average · "
        "{credits} images used",
        "%n tasks · {rate} succeeded · analyse {a} s, generate {g} s on average · "
        "{credits} images used"),
    "Kept %n avatar(s); the others were discarded.": (
        "Kept %n avatar; the others were discarded.",
        "Kept %n avatars; the others were discarded."),
    "Save %n copies to folder…": ("Save %n copy to folder…", "Save %n copies to folder…"),
    "Saved %n copies to {folder}.": ("Saved %n copy to {folder}.",
                                     "Saved %n copies to {folder}."),
    "%n could not be saved:": ("%n could not be saved:", "%n could not be saved:"),
    "Analysing the photo and drawing %n candidates… this can take a minute or two.": (
        "Analysing the photo and drawing %n candidate… this can take a minute or two.",
        "Analysing the photo and drawing %n candidates… this can take a minute or two."),
}
BIN = Path(sys.executable).parent

ZH: dict[str, str] = {
    "Added {new}; {existing} already in the library.":
        "已添加 {new} 个；{existing} 个已在头像库中。",
    "Nothing new: {existing} already in the library.": "没有新增：{existing} 个已在头像库中。",
    "Added {new}.": "已添加 {new} 个。",
    "{refused} could not be imported.": "{refused} 个无法导入。",
    "Added {ok} of {total} files. {refused} could not be imported:":
        "已添加 {ok} 个（共 {total} 个文件）。{refused} 个无法导入：",
    "Set &up sync…": "设置同步(&U)…",
    "Choose where your avatars are kept in the cloud": "选择头像在云端的存放位置",
    "&Browse…": "浏览(&B)…",
    "Choose the folder to sync to": "选择要同步到的文件夹",
    "Agents": "智能体",
    "Restoring your library from the cloud…": "正在从云端恢复你的头像库…",
    "Restored %n avatar(s) from the cloud.": "已从云端恢复 %n 个头像。",
    "Syncing stopped unexpectedly; it restarts by itself in {s} s. Nothing is lost: the queue "
    "is kept.": "同步意外停止，将在 {s} 秒后自动重启。不会丢失任何内容：队列已保留。",
    "New agent": "新建智能体",
    "Edit agent": "编辑智能体",
    "&Name": "名称(&N)",
    "Agent name": "智能体名称",
    "e.g. Support assistant": "例如：客服助手",
    "&Description": "描述(&D)",
    "Agent description": "智能体描述",
    "What this agent does (optional)": "这个智能体做什么（可选）",
    "Avatar": "头像",
    "Choose the agent's avatar": "选择智能体的头像",
    "Show avatars of kind": "按类型显示头像",
    "All avatars": "全部头像",
    "Built-in": "内置",
    "Uploaded": "已上传",
    "Generated": "AI 生成",
    "Delete agent": "删除智能体",
    "Save agent": "保存智能体",
    "Give the agent a name.": "请为智能体命名。",
    "Agent “{name}” saved.": "智能体“{name}”已保存。",
    "Agent “{name}” deleted.": "智能体“{name}”已删除。",
    "the new agent": "新智能体",
    "Unsaved changes": "未保存的更改",
    "Save your changes to “{name}”?": "保存对“{name}”的更改吗？",
    "If you don't save, your changes to this agent are lost.":
        "如果不保存，对这个智能体的更改将会丢失。",
    "Delete the agent “{name}”?": "删除智能体“{name}”吗？",
    "Its avatar stays in your library.": "它的头像会保留在您的头像库中。",
    "Built-in avatars cannot be deleted.": "内置头像不能删除。",
    "“{name}” is the avatar of %n agent(s) ({agents}): give them another avatar first.":
        "“{name}”是 %n 个智能体（{agents}）的头像：请先为它们换一个头像。",
    "“{name}” is the avatar of %n agent(s): give them another avatar first.":
        "“{name}”是 %n 个智能体的头像：请先为它们换一个头像。",
    "On this computer only": "仅在本机",
    "Waiting to sync": "等待同步",
    "Syncing": "正在同步",
    "Synced": "已同步",
    "Sync failed": "同步失败",
    "Search avatars by name": "按名称搜索头像",
    "Search avatars": "搜索头像",
    "Avatar gallery": "头像库",
    "Show avatars by sync state": "按同步状态显示头像",
    "My avatars": "我的头像",
    "All, with built-in": "全部（含内置）",
    "Built-in avatars": "内置头像",
    "Failed to sync": "同步失败的",
    "Not synced yet": "尚未同步的",
    "Import pictures…": "导入图片…",
    "Import pictures": "导入图片",
    "The library could not be read": "无法读取头像库",
    "Loading your library…": "正在载入头像库…",
    "{shown} of %n avatar(s)": "显示 {shown} / %n 个头像",
    "%n avatar(s)": "%n 个头像",
    "Your avatar library is empty": "头像库还是空的",
    "Drop pictures here or click Import. You can also paste an image with Ctrl+V.":
        "把图片拖到这里，或点击“导入”。也可以用 Ctrl+V 粘贴图片。",
    "%n built-in avatar(s) are ready to use: choose “Built-in avatars” above to see them.":
        "另有 %n 个内置头像可直接使用：在上方选择“内置头像”即可查看。",
    "No avatars match": "没有匹配的头像",
    "Try another search, or show all avatars.": "换个关键词试试，或显示全部头像。",
    "ecan hit a problem": "ecan 遇到了问题",
    "Something went wrong ({kind}). Your library is safe; you can keep working.":
        "出现了错误（{kind}）。您的头像库安然无恙，可以继续使用。",
    "Details were written to the log: {path}": "详细信息已写入日志：{path}",
    "(no log file)": "（无日志文件）",
    "Crop your avatar": "裁剪头像",
    "Crop area: drag or use the arrow keys to move": "裁剪区域：拖动或用方向键移动",
    "Preview": "预览",
    "Round preview": "圆形预览",
    "&Zoom": "缩放(&Z)",
    "Zoom": "缩放",
    "Save avatar": "保存头像",
    "Cancel": "取消",
    "Kind": "类型",
    "Format": "格式",
    "Dimensions": "尺寸",
    "File size": "文件大小",
    "Sync": "同步",
    "Problem": "问题",
    "Cloud key": "云端键名",
    "Copy link": "复制链接",
    "Copy": "复制",
    "Copy all": "全部复制",
    "Copy public link": "复制公开链接",
    "Copy the avatar's public (CDN) or cloud link": "复制头像的公开（CDN）或云端链接",
    "Copy private link": "复制私有链接",
    "Copy a time-limited link to the original": "复制原图的限时链接",
    "Retry sync": "重试同步",
    "Delete": "删除",
    "Delete avatar": "删除头像",
    "Select an avatar to see its details.": "选择一个头像以查看详细信息。",
    "not in the cloud yet": "尚未上传到云端",
    "Link copied to the clipboard.": "链接已复制到剪贴板。",
    "Import finished": "导入完成",
    "Imported {ok} of {total} files. {refused} could not be imported:":
        "已导入 {ok} / {total} 个文件，{refused} 个无法导入：",
    "Refused files": "未导入的文件",
    "File": "文件",
    "Reason": "原因",
    "Close": "关闭",
    "ecan cannot start: {message}": "ecan 无法启动：{message}",
    "Avatar library": "头像库",
    "Avatars": "头像",
    "Screens": "页面",
    "&Import…": "导入(&I)…",
    "Import pictures from files": "从文件导入图片",
    "Import &folder…": "导入文件夹(&F)…",
    "Import every picture in a folder": "导入文件夹中的所有图片",
    "&Paste picture": "粘贴图片(&P)",
    "Add the picture on the clipboard": "添加剪贴板中的图片",
    "&Generate…": "AI 生成(&G)…",
    "Make an avatar with AI": "用 AI 生成头像",
    "&Settings…": "设置(&S)…",
    "Storage, sync and language": "存储、同步和语言",
    "&Quit": "退出(&Q)",
    "&Delete": "删除(&D)",
    "Delete the selected avatars": "删除所选头像",
    "&Retry failed": "重试失败项(&R)",
    "Try failed uploads again": "重新上传失败的头像",
    "&Find": "查找(&F)",
    "Sign &in…": "登录(&I)…",
    "Sign &out": "退出登录(&O)",
    "Open &log folder": "打开日志文件夹(&L)",
    "&About ecan": "关于 ecan(&A)",
    "&File": "文件(&F)",
    "&Edit": "编辑(&E)",
    "S&ync": "同步(&Y)",
    "&Account": "账户(&A)",
    "&Help": "帮助(&H)",
    "Toolbar": "工具栏",
    "Sync progress": "同步进度",
    "Import progress": "导入进度",
    "Account": "账户",
    "Importing…": "正在导入…",
    "Pictures and videos ({patterns})": "图片和视频 ({patterns})",
    "Import a folder of pictures": "导入图片文件夹",
    "There is no picture on the clipboard.": "剪贴板中没有图片。",
    "Importing %v of %m": "正在导入 %v / %m",
    "Importing {done} of {total}…": "正在导入 {done} / {total}…",
    "Nothing to import: no pictures were found there.": "没有可导入的内容：那里没有找到图片。",
    "Imported {ok} of {total}.": "已导入 {ok} / {total}。",
    "Delete avatars": "删除头像",
    "Delete %n avatar(s)? They move to the trash on all your computers; Edit > Trash… "
    "brings them back.":
        "删除 %n 个头像？它们会移到你所有电脑上的回收站；可在“编辑 > 回收站…”中恢复。",
    "%n of the selected avatars cannot be deleted and stay:":
        "所选头像中有 %n 个不能删除，将保留：",
    "Retrying %n upload(s).": "正在重试 %n 个上传。",
    "Signed out. New avatars wait on this computer until you sign in.":
        "已退出登录。新头像会保存在本机，登录后再同步。",
    "About ecan": "关于 ecan",
    "ecan {version}\nYour avatar library for the AI agents you build: local first, synced to "
    "your own cloud storage.":
        "ecan {version}\n为您打造的 AI 智能体管理头像：本地优先，同步到您自己的云存储。",
    "Signed in": "已登录",
    "Signed in as {user} (identity {identity})": "已登录为 {user}（身份 {identity}）",
    "Sign in": "登录",
    "Not signed in": "未登录",
    "Cloud storage (no sign-in)": "云存储（无需登录）",
    "Syncing with the configured storage keys": "使用配置的存储密钥同步",
    "Local only": "仅本地",
    "Signed out": "已退出登录",
    "Settings saved. Syncing uses them now.": "设置已保存，同步已按新设置进行。",
    "Signed out · %n waiting": "已退出登录 · %n 个待同步",
    "No cloud storage is set up (see Settings)": "尚未设置云存储（见“设置”）",
    "Saved on this computer": "已保存在本机",
    "Syncing {done} of {total}": "正在同步 {done} / {total}",
    "{rate}/s": "{rate}/秒",
    "{done} of {total}": "{done} / {total}",
    "All {n} synced": "{n} 个全部已同步",
    "Nothing to sync": "没有需要同步的内容",
    "{n} failed": "{n} 个失败",
    "paused": "已暂停",
    "Synced {synced}, waiting {waiting}, failed {failed}, on this computer only {local}":
        "已同步 {synced}，等待 {waiting}，失败 {failed}，仅本机 {local}",
    "Sign-in needed": "需要登录",
    "Online": "在线",
    "Offline — will retry": "离线 — 稍后重试",
    "&Resume sync": "继续同步(&R)",
    "&Pause sync": "暂停同步(&P)",
    "Settings": "设置",
    "Cloud storage": "云存储",
    "None: keep avatars on this computer only": "无：头像只保存在本机",
    "A folder (another disk or a synced folder)": "文件夹（其他磁盘或同步文件夹）",
    "Amazon S3": "Amazon S3",
    "S3-compatible (Cloudflare R2, MinIO…)": "S3 兼容（Cloudflare R2、MinIO…）",
    "Storage backend": "存储后端",
    "Bucket": "存储桶",
    "Region": "区域",
    "Endpoint URL": "端点 URL",
    "Key prefix": "键名前缀",
    "CDN domain": "CDN 域名",
    "Folder": "文件夹",
    "Parallel uploads": "并行上传数",
    "&Storage": "存储(&S)",
    "&Bucket": "存储桶(&B)",
    "&Region": "区域(&R)",
    "&Endpoint URL": "端点 URL(&E)",
    "F&older": "文件夹(&O)",
    "Key &prefix": "键名前缀(&P)",
    "&CDN domain": "CDN 域名(&C)",
    "Parallel &uploads": "并行上传数(&U)",
    "Keys typed here are kept in the system keyring, never in a file. With a sign-in (an "
    "identity pool), none are needed.":
        "在这里输入的密钥保存在系统钥匙串中，绝不写入文件。使用登录（身份池）时无需任何密钥。",
    "Access key ID": "访问密钥 ID",
    "&Access key ID": "访问密钥 ID(&A)",
    "Secret access key": "秘密访问密钥",
    "Secret access &key": "秘密访问密钥(&K)",
    "Remove": "移除",
    "Remove the saved access keys": "移除已保存的访问密钥",
    "Image generation": "图像生成",
    "Gemini API key": "Gemini API 密钥",
    "&Gemini API key": "Gemini API 密钥(&G)",
    "Remove the saved Gemini API key": "移除已保存的 Gemini API 密钥",
    "Set in the config file {path}: change it there.": "由配置文件 {path} 设置：请在那里修改。",
    "Kept in the system keyring, never written to a file.": "保存在系统钥匙串中，绝不写入文件。",
    "Type a new one to replace it": "输入新的即可替换",
    "Saved in the system keyring.": "已保存在系统钥匙串中。",
    "No system keyring here: what you type is kept only until ecan quits.":
        "此电脑没有系统钥匙串：你输入的内容只保留到 ecan 退出为止。",
    "General": "常规",
    "Follow the system": "跟随系统",
    "Language": "语言",
    "&Language": "语言(&L)",
    "&Test connection": "测试连接(&T)",
    "Test connection": "测试连接",
    "Save": "保存",
    "No library is open.": "没有打开的头像库。",
    "Testing the connection…": "正在测试连接…",
    "All {n} checks passed.": "全部 {n} 项检查均通过。",
    "Sign in to ecan": "登录 ecan",
    "Your session has expired. Sign in again to resume syncing; nothing waiting to upload has "
    "been lost.": "登录已过期。请重新登录以继续同步；等待上传的内容都没有丢失。",
    "Sign in to sync your avatars to your cloud storage and find them on every computer you "
    "use.": "登录后，头像会同步到您的云存储，在您使用的每台电脑上都能找到。",
    "Username": "用户名",
    "user name or email": "用户名或邮箱",
    "Password": "密码",
    "&Username": "用户名(&U)",
    "&Password": "密码(&P)",
    "Sign-in error": "登录错误",
    "Enter your username and password.": "请输入用户名和密码。",
    "Sign-in failed.": "登录失败。",
    "Signing in…": "正在登录…",
    "Your session has expired. Sign in again to resume syncing.":
        "登录已过期。请重新登录以继续同步。",
    "Avatars that could not be synced: {n}. Open ecan to see why and retry.":
        "有 {n} 个头像未能同步。打开 ecan 查看原因并重试。",
    "{n} synced": "{n} 个已同步",
    "Set up sync": "设置同步",
    "Drop to import these files": "松开鼠标即可导入这些文件",
    "Starting the local demo cloud…": "正在启动本地演示云…",
    "Demo cloud ready: signed in as the demo user. Your pictures sync to a local test cloud "
    "that is discarded when ecan closes.":
        "演示云已就绪：已用演示用户登录。图片会同步到本地测试云，ecan 关闭后即被清除。",
    "Demo cloud": "演示云",
    "The local demo cloud could not start: {message}\n{hint}":
        "本地演示云无法启动：{message}\n{hint}",
    "Set by the environment variable {name}": "由环境变量 {name} 设置",
    "Set by the environment variable {name}: change it there.":
        "由环境变量 {name} 设置：请在那里修改。",
    "Endpoint set by {name}": "服务端点由 {name} 设置",
    "{n} endpoints set by environment variables": "{n} 个服务端点由环境变量设置",
    "{name} sends requests to {url}": "{name} 将请求发往 {url}",
    # Video avatars.
    "video, {length}": "视频，{length}",
    "video": "视频",
    "Length": "时长",
    "Play": "播放",
    "Play video": "播放视频",
    "Open the video in your video player": "用你的视频播放器打开这段视频",
    "No video player is set up to open {name}.": "没有可以打开 {name} 的视频播放器。",
    "{format} video": "{format} 视频",
    # Editing in the details pane.
    "&Tags": "标签(&T)",
    "D&escription": "描述(&E)",
    "Avatar name": "头像名称",
    "Avatar tags": "头像标签",
    "e.g. friendly, blue": "例如：友好, 蓝色",
    "Avatar description": "头像描述",
    "What this avatar is for (optional)": "这个头像的用途（可选）",
    "Save changes": "保存更改",
    "Changes saved.": "更改已保存。",
    "Search by name, tag or description": "按名称、标签或描述搜索",
    # Links.
    "Copy the avatar's public (CDN) link": "复制头像的公开（CDN）链接",
    "Works for 1 hour": "有效期 1 小时",
    "Works for 1 day": "有效期 1 天",
    "Works for 7 days": "有效期 7 天",
    "Private link copied: it works until {when}.": "私密链接已复制：有效期至 {when}。",
    # Pause, bandwidth, start at login, the tray.
    "Paused until {time}": "已暂停，{time} 恢复",
    "Paused until tomorrow {time}": "已暂停，明天 {time} 恢复",
    "Paused until {date} {time}": "已暂停，{date} {time} 恢复",
    "Open ecan": "打开 ecan",
    "Pause for 1 &hour": "暂停 1 小时(&H)",
    "Pause until &tomorrow": "暂停到明天(&T)",
    "Pause syncing until 08:00 tomorrow": "暂停同步，直到明天 08:00",
    "Sync &now": "立即同步(&N)",
    "Start ecan when I log in": "登录时启动 ecan",
    " KB/s": " KB/秒",
    "Unlimited": "不限",
    "Upload bandwidth limit": "上传带宽限制",
    "Upload &limit": "上传限速(&L)",
    "Pause for 1 hour": "暂停 1 小时",
    "Pause until tomorrow": "暂停到明天",
    "Resume": "恢复",
    "Pause": "暂停",
    "Paused until you resume": "已暂停，直到你恢复",
    "Empty: the system's proxy settings": "留空：使用系统的代理设置",
    "http://host:port, or http://user:password@host:port (the password is kept in the system "
    "keyring)": "http://主机:端口，或 http://用户:密码@主机:端口（密码保存在系统钥匙串中）",
    "Proxy": "代理",
    "Pro&xy": "代理(&X)",
    "Start at login could not be changed.": "无法更改登录时启动的设置。",
    "Check that your user can write there ({reason}).": "请确认你的用户可以写入那里（{reason}）。",
    # Export (the details pane, the gallery's menu, their messages)
    "Save a copy…": "另存副本…",
    "Save a copy": "另存副本",
    "Save a copy of the original picture": "将原图另存一份副本",
    "Save video…": "保存视频…",
    "Save video": "保存视频",
    "Save a copy of the video": "将视频另存一份副本",
    "Copy picture": "复制图片",
    "Copy the picture to the clipboard": "将图片复制到剪贴板",
    "Show in file manager": "在文件管理器中显示",
    "Show the avatar's file in your file manager": "在文件管理器中显示此头像的文件",
    "Video": "视频",
    "Picture": "图片",
    "Save copies to folder": "将副本保存到文件夹",
    "Save %n copies to folder…": "将 %n 个副本保存到文件夹…",
    "Saved '{name}' to {folder}.": "已将“{name}”保存到 {folder}。",
    "Saved %n copies to {folder}.": "已将 %n 个副本保存到 {folder}。",
    "%n could not be saved:": "%n 个无法保存：",
    "No file manager could open {folder}.": "没有文件管理器能打开 {folder}。",
    "'{name}' could not be read to copy it.": "无法读取“{name}”，未能复制。",
    "Copied '{name}' to the clipboard.": "已将“{name}”复制到剪贴板。",
}


# The generate and account dialogs keep their own strings beside their code.
sys.path.insert(0, str(ROOT))
from ecan.ui.account_dialogs import ZH_CN as ACCOUNT_ZH  # noqa: E402
from ecan.ui.activity_dialog import ZH_CN as ACTIVITY_ZH  # noqa: E402
from ecan.ui.generate_dialog import ZH_CN as GENERATE_ZH  # noqa: E402
from ecan.ui.trash_dialog import ZH_CN as TRASH_ZH  # noqa: E402

ZH.update(GENERATE_ZH)
ZH.update(ACTIVITY_ZH)
ZH.update(ACCOUNT_ZH)
ZH.update(TRASH_ZH)
sys.path.insert(0, str(Path(__file__).resolve().parent))
import i18n_messages  # noqa: E402

MESSAGES_CONTEXT = "Messages"  # ecan.bridge.messages.CONTEXT
TEMPLATES = ROOT / "ecan" / "assets" / "translations" / "message_templates.json"


def add_messages(tree: ET.ElementTree, messages: list[str], table: dict[str, str]) -> list[str]:
    """Put the domain's messages in their own context (after lupdate, which does not read the
    domain and drops what it did not find); return those without a translation."""
    root = tree.getroot()
    for old in [c for c in root.findall("context") if c.findtext("name") == MESSAGES_CONTEXT]:
        root.remove(old)
    context = ET.SubElement(root, "context")
    ET.SubElement(context, "name").text = MESSAGES_CONTEXT
    missing = []
    for text in sorted(messages):
        message = ET.SubElement(context, "message")
        ET.SubElement(message, "source").text = text
        translation = ET.SubElement(message, "translation")
        if text in table:
            translation.text = table[text]
        else:
            translation.set("type", "unfinished")
            missing.append(text)
    # Laid out like lupdate's own contexts (the rest of the file is left as lupdate wrote it).
    ET.indent(context, space="    ", level=0)
    context.tail = "\n"
    if len(root) > 1 and root[-2].tail is not None:
        root[-2].tail = "\n"
    return missing


def write_templates(messages: list[str]) -> None:
    """The messages with values to fill, by which the window recognises a formatted one."""
    import json

    templates = sorted(t for t in messages if i18n_messages.placeholders(t))
    TEMPLATES.write_text(json.dumps(templates, ensure_ascii=False, indent=0) + "\n",
                         encoding="utf-8")


def fill(ts: Path, language: str, table: dict[str, str] | dict[str, tuple[str, str]],
         *extra: str, messages: dict[str, str] | None = None) -> list[str]:
    """Update `ts` from the sources, put `table`'s translations in, compile the .qm; return
    the source texts still untranslated. A str translation fills every plural form (Chinese
    has one); a tuple gives them in order."""
    subprocess.run([str(BIN / "pyside6-lupdate"), *sorted(str(p) for p in
                    (ROOT / "ecan" / "ui").glob("*.py")), "-ts", str(ts),
                    "-target-language", language, "-no-obsolete", *extra], check=True)
    tree = ET.parse(ts)
    missing = []
    for message in tree.iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        assert translation is not None
        forms = translation.findall("numerusform")
        if source in table:
            text = table[source]
            if forms:
                for i, form in enumerate(forms):
                    form.text = text if isinstance(text, str) else text[min(i, len(text) - 1)]
            else:
                translation.text = text if isinstance(text, str) else text[-1]
            translation.attrib.pop("type", None)
        elif (translation.get("type") == "unfinished"
              or not (translation.text or any(f.text for f in forms))):
            missing.append(source)
    if messages is not None:
        found = list(i18n_messages.extract())
        missing += add_messages(tree, found, messages)
        write_templates(found)
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    subprocess.run([str(BIN / "pyside6-lrelease"), str(ts), "-qm", str(ts.with_suffix(".qm"))],
                   check=True)
    return missing


def main() -> int:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    missing = fill(TS, "zh_CN", ZH, messages=i18n_messages.ZH)
    missing += [f"(English plural) {s}" for s in fill(EN_TS, "en", EN, "-pluralonly")]
    for source in missing:
        print(f"untranslated: {source!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
