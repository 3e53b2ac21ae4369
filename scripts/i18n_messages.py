"""The messages the domain (Qt-free) shows a user through the window: every UserFacingError's
message and hint written in ecan's source (and each doctor check's detail and hint), found by
reading the source (ast), as templates ("{0} is not a bandwidth limit." for an f-string).
scripts/i18n.py puts them in the .ts files under the context `Messages` with their Chinese from
ZH below, and writes the templates with placeholders to
ecan/assets/translations/message_templates.json, by which the window (ecan/bridge/messages.py)
recognises a formatted message and translates it.

The command line stays English; so do the operator's and the demo cloud's own messages."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Not shown in the window: the command line, the operator's deploy, the local demo cloud,
# test helpers. The window's own strings go through tr() (lupdate finds them).
SKIP_PARTS = {"ui", "cli", "cloudops", "democloud"}
SKIP_FILES = {"demo.py", "testing.py"}
BASE = "UserFacingError"


def _files() -> list[Path]:
    return sorted(p for p in (ROOT / "ecan").rglob("*.py")
                  if not SKIP_PARTS & set(p.relative_to(ROOT / "ecan").parts[:-1])
                  and p.name not in SKIP_FILES)


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _error_classes(trees: list[ast.Module]) -> set[str]:
    """UserFacingError and every class deriving from it (by name, across the package)."""
    bases: dict[str, set[str]] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(_name(b) for b in node.bases)
    found = {BASE}
    while True:
        more = {c for c, b in bases.items() if b & found} - found
        if not more:
            return found
        found |= more


def template(node: ast.expr) -> str | None:
    """A string literal as written; an f-string with its values as {0}, {1}..."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out, n = [], 0
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append(str(part.value).replace("{", "{{").replace("}", "}}"))
            else:
                out.append("{" + str(n) + "}")
                n += 1
        return "".join(out)
    return None


def _strings(node: ast.expr) -> list[str]:
    """The texts an argument can be: a literal, either side of `or` / `if else`, a `+`."""
    if isinstance(node, ast.BoolOp):
        return [t for v in node.values for t in _strings(v)]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    found = template(node)
    return [found] if found is not None else []


def is_message(text: str) -> bool:
    """Words for a person (codes and setting names have no space)."""
    return " " in text.strip()


def extract() -> dict[str, list[str]]:
    """template -> where it is written ("ecan/sync/engine.py:123")."""
    sources = {p: ast.parse(p.read_text(encoding="utf-8")) for p in _files()}
    # And `ecan doctor`'s checks, whose detail and hint Settings shows ("Test connection").
    classes = _error_classes(list(sources.values())) | {"Check"}
    found: dict[str, list[str]] = {}

    def add(node: ast.expr, path: Path) -> None:
        for text in _strings(node):
            if is_message(text):
                where = f"{path.relative_to(ROOT).as_posix()}:{node.lineno}"
                found.setdefault(text, []).append(where)

    for path, tree in sources.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in classes:
                for item in ast.walk(node):
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        for default in item.args.defaults + [
                                d for d in item.args.kw_defaults if d is not None]:
                            add(default, path)
                    if (isinstance(item, ast.Call) and _name(item.func) == "__init__"
                            and isinstance(item.func, ast.Attribute)
                            and isinstance(item.func.value, ast.Call)
                            and _name(item.func.value.func) == "super"):
                        for arg in [*item.args, *(k.value for k in item.keywords)]:
                            add(arg, path)
            if isinstance(node, ast.Call) and _name(node.func) in classes:
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    add(arg, path)
    return found


def placeholders(text: str) -> bool:
    """Whether `text` is a template the window must match (it has {...} to fill)."""
    import re

    return bool(re.search(r"(?<!\{)\{[^{}]*\}(?!\})", text))


# English template -> Simplified Chinese; keep every {placeholder} of the source.
ZH: dict[str, str] = {
    "'{duration}' is not a duration.": "“{duration}” 不是有效的时长。",
    "'{duration}' is not a pause ecan can take.": "ecan 无法暂停 “{duration}” 这么久。",
    "A link can last 1 second to 7 days, not {0} seconds.":
        "链接的有效期可以是 1 秒到 7 天，不能是 {0} 秒。",
    "Access denied to {0} ({1}).": "无权访问 {0}（{1}）。",
    "An agent named {0} already exists.": "已有名为 {0} 的智能体。",
    "An agent needs a name.": "智能体需要一个名称。",
    "An avatar can carry {0} tags.": "一个头像最多可以有 {0} 个标签。",
    "An avatar needs a name.": "头像需要一个名称。",
    "Ask for a new code and use it.": "请重新获取验证码并使用它。",
    "Ask the pool's administrator to turn MFA off for this user.":
        "请让用户池管理员为此用户关闭多重验证（MFA）。",
    "Avatar {0} is used by agent(s) {1}.": "头像 {0} 正被智能体 {1} 使用。",
    "Cannot reach the sign-in service at {0}.": "无法连接位于 {0} 的登录服务。",
    "Cannot reach the storage endpoint {0}.": "无法连接存储端点 {0}。",
    "Check AVATAR_CLOUD_ACCESS_KEY (or STORAGE.ACCESS_KEY), or sign in again; uploads stay "
    "queued meanwhile.":
        "请检查 AVATAR_CLOUD_ACCESS_KEY（或 "
        "STORAGE.ACCESS_KEY），或重新登录；在此期间上传会保留在队列中。",
    "Check AVATAR_CLOUD_SECRET_KEY (the secret key is wrong), and that this computer's clock "
    "is correct (`ecan doctor` checks both); uploads stay queued meanwhile.":
        "请检查 AVATAR_CLOUD_SECRET_KEY（密钥有误）以及本机时钟是否准确（`ecan doctor` "
        "会检查这两项）；在此期间上传会保留在队列中。",
    "Check COGNITO.ENDPOINT_URL.": "请检查 COGNITO.ENDPOINT_URL。",
    "Check COGNITO.IDENTITY_POOL_ID and that the identity pool trusts user pool {0} (app "
    "client {1}).":
        "请检查 COGNITO.IDENTITY_POOL_ID，并确认身份池信任用户池 {0}（应用客户端 {1}）。",
    "Check COGNITO.USER_POOL_ID and COGNITO.ENDPOINT_URL.":
        "请检查 COGNITO.USER_POOL_ID 和 COGNITO.ENDPOINT_URL。",
    "Check COGNITO.USER_POOL_ID, COGNITO.CLIENT_ID and COGNITO.ENDPOINT_URL; then sign in "
    "again.":
        "请检查 COGNITO.USER_POOL_ID、COGNITO.CLIENT_ID 和 COGNITO.ENDPOINT_URL，然后重新登录。",
    "Check COGNITO.USER_POOL_ID.": "请检查 COGNITO.USER_POOL_ID。",
    "Check STORAGE.BUCKET / AVATAR_CLOUD_BUCKET (and STORAGE.ENDPOINT_URL / REGION).":
        "请检查 STORAGE.BUCKET / AVATAR_CLOUD_BUCKET（以及 STORAGE.ENDPOINT_URL / REGION）。",
    "Check STORAGE.LOCAL_PATH points to a folder you can write to.":
        "请确认 STORAGE.LOCAL_PATH 指向一个你可以写入的文件夹。",
    "Check both and try again (passwords are case-sensitive).":
        "请检查两者后重试（密码区分大小写）。",
    "Check that ECAN_HOME has free space and is writable, then import it again.":
        "请确认 ECAN_HOME 有剩余空间且可写，然后重新导入。",
    "Check that the app client allows {0} and REFRESH_TOKEN_AUTH, and the COGNITO settings.":
        "请确认应用客户端允许 {0} 和 REFRESH_TOKEN_AUTH，并检查 COGNITO 设置。",
    "Check the COGNITO settings; details are in the log.": "请检查 COGNITO 设置；详情见日志。",
    "Check the STORAGE settings; details are in the log.": "请检查 STORAGE 设置；详情见日志。",
    "Check the code (the newest one, if several were sent) and type it again.":
        "请检查验证码（如果收到多个，请用最新的）并重新输入。",
    "Check the disk and permissions; if the file is damaged, restore it from a backup or "
    "sign in on a fresh ECAN_HOME and run `ecan restore`.":
        "请检查磁盘和权限；如果文件已损坏，请从备份恢复，或在新的 ECAN_HOME 中登录并运行 `ecan "
        "restore`。",
    "Check the e-mail address (or phone number), then ask for a new code.":
        "请检查电子邮件地址（或手机号码），然后重新获取验证码。",
    "Check the file exists and is readable UTF-8 text.":
        "请确认文件存在，并且是可读的 UTF-8 文本。",
    "Check the file's permissions.": "请检查文件的权限。",
    "Check the path and the file's permissions.": "请检查路径和文件的权限。",
    "Check the path and try again.": "请检查路径后重试。",
    "Check the photo and the request; try a different wording.":
        "请检查照片和描述；换一种说法试试。",
    "Check the time on your phone and type the current code.":
        "请检查手机上的时间，并输入当前的验证码。",
    "Check the username, or ask for an account.": "请检查用户名，或申请一个账户。",
    "Check what you typed and try again.": "请检查输入的内容后重试。",
    "Check your network connection (and COGNITO.ENDPOINT_URL / COGNITO.REGION); ecan keeps "
    "your work queued and tries again.":
        "请检查网络连接（以及 COGNITO.ENDPOINT_URL / COGNITO.REGION）；ecan "
        "会把你的工作保留在队列中并重试。",
    "Check your network connection and STORAGE.ENDPOINT_URL / AVATAR_CLOUD_ENDPOINT_URL; "
    "ecan keeps the uploads queued and retries.":
        "请检查网络连接以及 STORAGE.ENDPOINT_URL / AVATAR_CLOUD_ENDPOINT_URL；ecan "
        "会把上传保留在队列中并重试。",
    "Check your network connection; ecan retries.": "请检查网络连接；ecan 会重试。",
    "Choose a longer password with upper- and lower-case letters and numbers (and symbols, "
    "if the pool asks for them).":
        "请选择更长的密码，包含大小写字母和数字（如果用户池要求，还需包含符号）。",
    "Choose a new password.": "请设置新密码。",
    "Choose a shorter name.": "请选择更短的名称。",
    "Choose an MP4 or WebM video file.": "请选择 MP4 或 WebM 视频文件。",
    "Choose another name, or edit that agent instead.": "请换一个名称，或改为编辑那个智能体。",
    "Cloud storage {0} failed: {1}": "云存储 {0} 失败：{1}",
    "Compare with auth_config.yml.example.": "请对照 auth_config.yml.example。",
    "Confirm it with the code you were sent by e-mail, then sign in.":
        "请用邮件中收到的验证码确认，然后登录。",
    "Copy it from the Cognito console, e.g. us-east-1:1234abcd-....":
        "请从 Cognito 控制台复制，例如 us-east-1:1234abcd-....",
    "Copy it from the Cognito console, e.g. us-east-1_AbCdEf123.":
        "请从 Cognito 控制台复制，例如 us-east-1_AbCdEf123。",
    "Copy the ids from the Cognito console (and check COGNITO.REGION / ENDPOINT_URL).":
        "请从 Cognito 控制台复制这些 ID（并检查 COGNITO.REGION / ENDPOINT_URL）。",
    "Delete job {0} lacks the avatar's checksum.": "删除任务 {0} 缺少头像的校验和。",
    "Describe what the avatar should look like.": "请描述头像应该是什么样子。",
    "Details are in the log.": "详情见日志。",
    "Finish signing in in the browser, or start again.": "请在浏览器中完成登录，或重新开始。",
    "Fix the folder's permissions or set STORAGE.LOCAL_PATH.":
        "请修正文件夹的权限，或设置 STORAGE.LOCAL_PATH。",
    "Fix the syntax; compare with auth_config.yml.example.":
        "请修正语法；对照 auth_config.yml.example。",
    "Gemini ({0}) answered with no candidates.": "Gemini（{0}）没有返回任何结果。",
    "Gemini ({0}) blocked the request for safety ({1}).":
        "Gemini（{0}）出于安全原因拦截了请求（{1}）。",
    "Gemini ({0}) did not answer within {1} s.": "Gemini（{0}）在 {1} 秒内没有响应。",
    "Gemini ({0}) failed with HTTP {1} after retries.": "Gemini（{0}）重试后仍失败，HTTP {1}。",
    "Gemini ({0}) refused the request (HTTP {1}): {2}": "Gemini（{0}）拒绝了请求（HTTP {1}）：{2}",
    "Gemini ({0}) sent a broken or incomplete answer.": "Gemini（{0}）返回的响应已损坏或不完整。",
    "Gemini at {0} cannot be reached.": "无法连接位于 {0} 的 Gemini。",
    "Gemini does not know the model {0}.": "Gemini 不认识模型 {0}。",
    "Generation task {0} is not running.": "生成任务 {0} 未在运行。",
    "Give either a photo file or an avatar.": "请提供一个照片文件或一个头像（二选一）。",
    "Give hours and minutes such as 30m, 1h or 2h30m, or the word tomorrow.":
        "请给出小时和分钟，例如 30m、1h 或 2h30m，或者 tomorrow（明天）。",
    "Give kilobytes per second as a whole number; 0 = unlimited.":
        "请以整数给出每秒千字节数；0 表示不限。",
    "Give those agents another avatar (or delete them) first.":
        "请先给这些智能体换一个头像（或删除它们）。",
    "If it is confirmed already, sign in.": "如果已经确认，请直接登录。",
    "Import image files or folders of them.": "请导入图片文件或包含图片的文件夹。",
    "Import the file again.": "请重新导入该文件。",
    "Import your own picture instead.": "请改为导入你自己的图片。",
    "Indent the keys under the section name.": "请把键缩进到分区名之下。",
    "It is uploaded again.": "它会重新上传。",
    "It starts again by itself; try again in a moment. Nothing is lost.":
        "它会自行重新启动；请稍后再试。不会丢失任何内容。",
    "It will be uploaded again.": "它将重新上传。",
    "Keep it under {0} characters.": "请控制在 {0} 个字符以内。",
    "Leave it out to get a new one.": "省略它即可获得一个新的。",
    "Leave task_id out to get a new one.": "省略 task_id 即可获得一个新的。",
    "List the agents (`ecan agent list`) to see their ids.":
        "列出智能体（`ecan agent list`）以查看它们的 ID。",
    "List the library (`ecan list`) to see the avatars and their ids.":
        "列出头像库（`ecan list`）以查看头像及其 ID。",
    "Name the agent by its id or its name.": "请用 ID 或名称指定智能体。",
    "No Gemini API key: GEMINI_API_KEY is not set.":
        "没有 Gemini API 密钥：未设置 GEMINI_API_KEY。",
    "No account is signed in to move them into.": "没有已登录的账户可以把它们移入。",
    "No cloud storage is configured, so avatars have no links.": "未配置云存储，因此头像没有链接。",
    "No cloud storage is configured; ecan keeps everything on this computer and syncs once "
    "one is.":
        "未配置云存储；ecan 会把所有内容保存在这台电脑上，配置后再同步。",
    "No cloud storage is configured; ecan keeps everything on this computer.":
        "未配置云存储；ecan 会把所有内容保存在这台电脑上。",
    "Nothing can be deleted in the cloud for it; retry is useless.":
        "云端没有可为它删除的内容；重试也无济于事。",
    "Nothing to do here; the other machine's next change carries on.":
        "这里无需处理；另一台电脑的下一次更改会继续。",
    "Only a task that is still running can be cancelled.": "只有仍在运行的任务才能取消。",
    "Pause for a duration such as 30m, 1h or 2h30m, or until tomorrow.":
        "请暂停一段时长，例如 30m、1h 或 2h30m，或暂停到明天。",
    "Pause for between a second and 30 days, or without a duration until you resume.":
        "可暂停 1 秒到 30 天；不指定时长则暂停到你恢复为止。",
    "Pick a photo file or an existing avatar.": "请选择一个照片文件或已有的头像。",
    "Pick an avatar from the library.": "请从头像库中选择一个头像。",
    "Pick an expiry of at most 604800 s.": "有效期最长为 604800 秒。",
    "Pick one photo (--image FILE) or one avatar.": "请选择一张照片（--image FILE）或一个头像。",
    "Point ECAN_CONFIG at an existing auth_config.yml, or unset it.":
        "请让 ECAN_CONFIG 指向一个存在的 auth_config.yml，或取消设置它。",
    "Point ECAN_HOME at a folder (it is created if missing), or unset it to use the default.":
        "请让 ECAN_HOME 指向一个文件夹（不存在时会自动创建），或取消设置以使用默认位置。",
    "Raise GEMINI.CREDIT_BUDGET in auth_config.yml (0 = no limit).":
        "请在 auth_config.yml 中调高 GEMINI.CREDIT_BUDGET（0 表示不限）。",
    "Remove some tags.": "请删除一些标签。",
    "Rephrase the request or use another photo; nothing was generated.":
        "请换一种描述或使用另一张照片；没有生成任何内容。",
    "Reset it on your organisation's sign-in page.": "请在你所在组织的登录页面上重置它。",
    "Restart ecan to apply the new settings.": "请重启 ecan 以应用新设置。",
    "Retry the upload.": "请重试上传。",
    "Run `ecan doctor`: it checks the sign-in, the keys, access to the bucket and this "
    "computer's clock. Uploads stay queued meanwhile.":
        "请运行 `ecan "
        "doctor`：它会检查登录、密钥、存储桶访问权限以及本机时钟。在此期间上传会保留在队列中。",
    "See `ecan agent list` for the agents' names.": "运行 `ecan agent list` 查看智能体的名称。",
    "See `ecan trash` for what can be brought back.": "运行 `ecan trash` 查看可以恢复的内容。",
    "Send a file path.": "请发送一个文件路径。",
    "Send either `id` or `name`.": "请发送 `id` 或 `name` 之一。",
    "Set COGNITO.DOMAIN to the user pool's domain (e.g. "
    "myapp.auth.us-east-1.amazoncognito.com).":
        "请把 COGNITO.DOMAIN 设为用户池的域名（例如 myapp.auth.us-east-1.amazoncognito.com）。",
    "Set COGNITO.USER_POOL_ID and COGNITO.CLIENT_ID in auth_config.yml.":
        "请在 auth_config.yml 中设置 COGNITO.USER_POOL_ID 和 COGNITO.CLIENT_ID。",
    "Set GEMINI.{0} in auth_config.yml to an available model.":
        "请在 auth_config.yml 中把 GEMINI.{0} 设为可用的模型。",
    "Set GEMINI_API_KEY to a valid key (Google AI Studio -> Get API key) and check it is "
    "allowed to use the Gemini API.":
        "请把 GEMINI_API_KEY 设为有效的密钥（Google AI Studio -> Get API "
        "key），并确认它可以使用 Gemini API。",
    "Set STORAGE.BUCKET (or AVATAR_CLOUD_BUCKET) for S3, or STORAGE.BACKEND: local.":
        "请为 S3 设置 STORAGE.BUCKET（或 AVATAR_CLOUD_BUCKET），或设置 STORAGE.BACKEND: local。",
    "Set STORAGE.BUCKET (or AVATAR_CLOUD_BUCKET) in the config, sign in, and sync.":
        "请在配置中设置 STORAGE.BUCKET（或 AVATAR_CLOUD_BUCKET），登录，然后同步。",
    "Set STORAGE.BUCKET (or AVATAR_CLOUD_BUCKET) with COGNITO.IDENTITY_POOL_ID or "
    "AVATAR_CLOUD_ACCESS_KEY/SECRET_KEY, or STORAGE.BACKEND: local.":
        "请设置 STORAGE.BUCKET（或 AVATAR_CLOUD_BUCKET），并配合 COGNITO.IDENTITY_POOL_ID 或 "
        "AVATAR_CLOUD_ACCESS_KEY/SECRET_KEY；或设置 STORAGE.BACKEND: local。",
    "Set STORAGE.BUCKET or AVATAR_CLOUD_BUCKET.": "请设置 STORAGE.BUCKET 或 AVATAR_CLOUD_BUCKET。",
    "Set STORAGE.REGION / AVATAR_CLOUD_REGION to the bucket's region.":
        "请把 STORAGE.REGION / AVATAR_CLOUD_REGION 设为存储桶所在的区域。",
    "Set a new password in your organisation's sign-in page, then sign in here with it.":
        "请在你所在组织的登录页面设置新密码，然后用它在这里登录。",
    "Set both USER_POOL_ID and CLIENT_ID, or neither.":
        "请同时设置 USER_POOL_ID 和 CLIENT_ID，或都不设置。",
    "Set both the access key and the secret key, or neither.":
        "请同时设置访问密钥和私密密钥，或都不设置。",
    "Enter a key from Google AI Studio in Settings > Image generation (kept in the system "
    "keyring), or set the GEMINI_API_KEY environment variable, then try again.":
        "请在“设置 > 图像生成”中输入 Google AI Studio 的密钥（保存在系统钥匙串中），"
        "或设置环境变量 GEMINI_API_KEY，然后重试。",
    "Set the system clock (turn on automatic time / NTP) and try again.":
        "请校准系统时钟（开启自动设置时间 / NTP）后重试。",
    "Set the system clock (turn on automatic time / NTP); `ecan doctor` shows how far off it "
    "is. Sync carries on by itself once the clock is right.":
        "请校准系统时钟（开启自动设置时间 / NTP）；`ecan doctor` "
        "会显示偏差多少。时钟正确后同步会自动继续。",
    "Shorten the description.": "请缩短描述。",
    "Sign in (`ecan login --username NAME`) or set AVATAR_CLOUD_ACCESS_KEY and "
    "AVATAR_CLOUD_SECRET_KEY.":
        "请登录（`ecan login --username NAME`），或设置 AVATAR_CLOUD_ACCESS_KEY 和 "
        "AVATAR_CLOUD_SECRET_KEY。",
    "Sign in again from the start.": "请从头重新登录。",
    "Sign in again: `ecan login --username NAME`.": "请重新登录：`ecan login --username NAME`。",
    "Sign in as the account that queued it; it then syncs.":
        "请以把它加入队列的账户登录；随后它就会同步。",
    "Sign in first.": "请先登录。",
    "Sign in through the browser (`ecan login --browser`), or ask the pool's administrator "
    "which sign-in steps your account needs.":
        "请通过浏览器登录（`ecan login "
        "--browser`），或询问用户池管理员你的账户需要哪些登录步骤。",
    "Sign in to that account, or use another address.": "请登录那个账户，或使用另一个地址。",
    "Sign in with `ecan login` in a terminal (it asks for the code), or in the app.":
        "请在终端中用 `ecan login` 登录（它会询问验证码），或在应用中登录。",
    "Sign in with `ecan login` in a terminal (it asks for the new password), or in the app.":
        "请在终端中用 `ecan login` 登录（它会询问新密码），或在应用中登录。",
    "Sign in with it, reset its password (`ecan forgot-password`), or choose another "
    "username.":
        "请用它登录、重置其密码（`ecan forgot-password`），或选择另一个用户名。",
    "Sign out and sign in again; if it persists, check COGNITO.IDENTITY_POOL_ID.":
        "请退出后重新登录；如果问题仍在，请检查 COGNITO.IDENTITY_POOL_ID。",
    "Sign-in failed ({0}).": "登录失败（{0}）。",
    "Skipped a change from another machine: {0}.": "已跳过来自另一台电脑的更改：{0}。",
    "Start it again when you are ready.": "准备好后请重新开始。",
    "Start the sign-in again.": "请重新开始登录。",
    "Start the sign-in again; check COGNITO.DOMAIN and that the app client allows the "
    "authorization code grant.":
        "请重新开始登录；检查 COGNITO.DOMAIN，并确认应用客户端允许授权码授权方式。",
    "Sync it first (`ecan sync`, or let the app sync it), then ask for the link again.":
        "请先同步它（`ecan sync`，或让应用同步），然后再获取链接。",
    "Syncing did not answer in time.": "同步没有及时响应。",
    "Syncing is not running right now.": "同步当前没有运行。",
    "Syncing stopped unexpectedly and is starting again.": "同步意外停止，正在重新启动。",
    "Task {0} already exists.": "任务 {0} 已存在。",
    "That code has expired or was already used.": "该验证码已过期或已被使用。",
    "That code is not right.": "验证码不正确。",
    "That e-mail address belongs to another account.": "该电子邮件地址属于另一个账户。",
    "That is not an e-mail address.": "这不是一个电子邮件地址。",
    "That time has already passed.": "那个时间已经过去了。",
    "The Gemini API refused the key in GEMINI_API_KEY.":
        "Gemini API 拒绝了 GEMINI_API_KEY 中的密钥。",
    "The Gemini quota is exhausted ({0}, HTTP 429, still refused after retries).":
        "Gemini 配额已用尽（{0}，HTTP 429，重试后仍被拒绝）。",
    "The agent name must be at most {0} printable characters.": "智能体名称最多 {0} 个可打印字符。",
    "The authenticator code is not right.": "身份验证器验证码不正确。",
    "The browser did not come back to ecan.": "浏览器没有返回 ecan。",
    "The code could not be sent.": "验证码无法发送。",
    "The code is not a number.": "验证码不是数字。",
    "The description is over {0} characters.": "描述超过了 {0} 个字符。",
    "The download of {0} did not match its sha256.": "{0} 的下载内容与其 sha256 不符。",
    "The file changed while it was uploading; it is retried from the saved copy.":
        "文件在上传过程中发生了变化；将从保存的副本重试。",
    "The file for {0} does not match its recorded sha256 (it changed after import); nothing "
    "was written.":
        "{0} 的文件与记录的 sha256 不符（导入后被改动过）；没有写入任何内容。",
    "The file was changed or damaged on disk: delete the avatar and import it again.":
        "磁盘上的文件已被更改或损坏：请删除该头像并重新导入。",
    "The generation budget is spent ({0} of {1} credits; 1 credit = 1 generated image).":
        "生成预算已用完（已用 {0}/{1} 点；1 点 = 生成 1 张图片）。",
    "The generation was cancelled.": "生成已取消。",
    "The identity id from the sign-in service has an unexpected shape.":
        "登录服务返回的身份 ID 格式异常。",
    "The identity pool {0} refused your sign-in.": "身份池 {0} 拒绝了你的登录。",
    "The image model {0} answered without an image.": "图像模型 {0} 的响应中没有图片。",
    "The key in use lacks {0} on {1}/<your prefix>; ask the bucket's operator for that "
    "permission, or sign in again.":
        "当前使用的密钥在 {1}/<你的前缀> 上缺少 {0} "
        "权限；请向存储桶的管理员申请该权限，或重新登录。",
    "The library database {0} cannot be opened ({1}).": "无法打开头像库数据库 {0}（{1}）。",
    "The library {0} was written by a newer ecan (schema {1}).":
        "头像库 {0} 由更新版本的 ecan 写入（架构 {1}）。",
    "The new password is empty.": "新密码为空。",
    "The password is empty.": "密码为空。",
    "The password is not accepted: {0}.": "密码不被接受：{0}。",
    "The pool refused the browser's sign-in ({0}).": "用户池拒绝了浏览器登录（{0}）。",
    "The pool sent no tokens.": "用户池没有发送令牌。",
    "The request (prompt) is empty.": "描述（提示词）为空。",
    "The request is {0} characters long.": "描述长达 {0} 个字符。",
    "The service is having trouble; try again in a few minutes.": "服务出现问题；请几分钟后再试。",
    "The sign-in page refused: {0}.": "登录页面拒绝了：{0}。",
    "The sign-in service asks for a step ecan does not know ({0}).":
        "登录服务要求一个 ecan 不认识的步骤（{0}）。",
    "The sign-in service at {0} has no signing keys for user pool {1} (HTTP {2}).":
        "位于 {0} 的登录服务没有用户池 {1} 的签名密钥（HTTP {2}）。",
    "The sign-in service refused it: {0}.": "登录服务拒绝了：{0}。",
    "The sign-in service refused the request ({0}).": "登录服务拒绝了请求（{0}）。",
    "The sign-in service returned a token that does not verify (wrong signature, issuer or "
    "audience).":
        "登录服务返回的令牌无法验证（签名、签发者或受众不正确）。",
    "The sign-in service returned a token without a valid user id (sub).":
        "登录服务返回的令牌中没有有效的用户 ID（sub）。",
    "The storage endpoint {0} stopped answering during {1}.":
        "存储端点 {0} 在 {1} 过程中停止响应。",
    "The storage folder {0} cannot be used ({1}).": "无法使用存储文件夹 {0}（{1}）。",
    "The storage folder {0} is not writable.": "存储文件夹 {0} 不可写。",
    "The storage service stopped sending {0} midway.": "存储服务在传送 {0} 的中途停止了。",
    "The storage service at {0} is unavailable ({1}) during {2}.":
        "位于 {0} 的存储服务在 {2} 过程中不可用（{1}）。",
    "The storage service does not know the access key used for bucket '{0}'.":
        "存储服务不认识存储桶 “{0}” 所用的访问密钥。",
    "The storage service received different bytes than sent for {0}.":
        "存储服务收到的 {0} 的内容与发送的不一致。",
    "The storage service refused {0} on {1} (HTTP {2}) without saying why.":
        "存储服务拒绝了对 {1} 的 {0}（HTTP {2}），且未说明原因。",
    "The storage service rejected the request signature for bucket '{0}'.":
        "存储服务拒绝了存储桶 “{0}” 的请求签名。",
    "The stored file {0} no longer matches its checksum.": "已存储的文件 {0} 与其校验和不再一致。",
    "The sync engine is already running.": "同步引擎已在运行。",
    "The text model {0} returned no prompt.": "文本模型 {0} 没有返回提示词。",
    "The transfer was damaged; it is retried.": "传输内容已损坏；将重试。",
    "The uploaded object {0} did not verify.": "已上传的对象 {0} 未通过校验。",
    "The username is empty or not valid text.": "用户名为空或不是有效的文本。",
    "The username or password is wrong.": "用户名或密码错误。",
    "The {0} is empty.": "{0}为空。",
    "There is already an account with that username.": "已有使用该用户名的账户。",
    "There is no agent named {0}.": "没有名为 {0} 的智能体。",
    "There is no agent with id {0}.": "没有 ID 为 {0} 的智能体。",
    "There is no avatar with id {0}.": "没有 ID 为 {0} 的头像。",
    "There is no avatar {0} in the trash.": "回收站中没有头像 {0}。",
    "There is no user with that name.": "没有这个名称的用户。",
    "This account cannot be confirmed: {0}.": "无法确认此账户：{0}。",
    "This account is not confirmed yet.": "此账户尚未确认。",
    "This browser sign-in is not running.": "此浏览器登录未在进行。",
    "This computer's clock differs too much from the sign-in service's: what it issued looks "
    "expired.":
        "本机时钟与登录服务的时钟相差太大：它签发的凭据看起来已过期。",
    "This computer's clock differs too much from the storage service's.":
        "本机时钟与存储服务的时钟相差太大。",
    "This is on the service's side; ecan keeps the work queued and retries.":
        "这是服务端的问题；ecan 会把工作保留在队列中并重试。",
    "This is usually a passing network problem; ecan retries.":
        "这通常是暂时的网络问题；ecan 会重试。",
    "This job belongs to identity {0}, not to the signed-in {1}: it waits and is never "
    "uploaded under another identity.":
        "此任务属于身份 {0}，而不是已登录的 {1}：它会等待，绝不会以其他身份上传。",
    "This sign-in step has expired.": "此登录步骤已过期。",
    "This sync engine cannot read its settings again.": "此同步引擎无法重新读取设置。",
    "Too many attempts.": "尝试次数过多。",
    "Try again in a moment.": "请稍后再试。",
    "Try again in a moment; nothing is lost.": "请稍后再试；不会丢失任何内容。",
    "Try again later, or raise GEMINI.TIMEOUT_S in auth_config.yml.":
        "请稍后再试，或在 auth_config.yml 中调高 GEMINI.TIMEOUT_S。",
    "Try again or rephrase the request; check GEMINI.IMAGE_MODEL names a model that can "
    "generate images (e.g. gemini-2.5-flash-image).":
        "请重试或换一种描述；检查 GEMINI.IMAGE_MODEL 是否是能生成图片的模型（例如 "
        "gemini-2.5-flash-image）。",
    "Try again, or rephrase the request; set GEMINI.TEXT_MODEL to another model if it keeps "
    "happening.":
        "请重试或换一种描述；如果一直出现，请把 GEMINI.TEXT_MODEL 设为另一个模型。",
    "Try again, or sign in with your username and password.": "请重试，或用用户名和密码登录。",
    "Try again; if it keeps happening, check GEMINI_BASE_URL points at the Gemini API.":
        "请重试；如果一直出现，请检查 GEMINI_BASE_URL 是否指向 Gemini API。",
    "Try again; if it keeps happening, check GEMINI_BASE_URL.":
        "请重试；如果一直出现，请检查 GEMINI_BASE_URL。",
    "Type a name for the agent.": "请输入智能体的名称。",
    "Type a name for the avatar.": "请输入头像的名称。",
    "Type the address the confirmation code should go to.": "请输入接收确认验证码的地址。",
    "Type the digits of the code you were sent.": "请输入收到的验证码数字。",
    "Type the digits of the code.": "请输入验证码数字。",
    "Type the username you signed up with.": "请输入注册时使用的用户名。",
    "Type the {0}.": "请输入{0}。",
    "Type your password.": "请输入密码。",
    "Unable to locate credentials for cloud storage.": "找不到云存储的凭据。",
    "Unknown outbox job kind {0}.": "未知的发件箱任务类型 {0}。",
    "Update ecan, or point ECAN_HOME at another folder.":
        "请更新 ecan，或让 ECAN_HOME 指向另一个文件夹。",
    "Update ecan; this job was written by a newer version.":
        "请更新 ecan；此任务由更新的版本写入。",
    "Use 0 for unlimited.": "用 0 表示不限。",
    "Use 3-63 lowercase letters, digits, dots or hyphens.":
        "请使用 3-63 个小写字母、数字、点或连字符。",
    "Use USER_SRP_AUTH (default) or USER_PASSWORD_AUTH.":
        "请使用 USER_SRP_AUTH（默认）或 USER_PASSWORD_AUTH。",
    "Use `local` (a folder) or `s3` (AWS S3, R2, MinIO via ENDPOINT_URL).":
        "请使用 `local`（文件夹）或 `s3`（AWS S3、R2，或通过 ENDPOINT_URL 使用 MinIO）。",
    "Use a number from 1 to 64.": "请使用 1 到 64 之间的数字。",
    "Use a port number (1-65535), or 0 for any free one.":
        "请使用端口号（1-65535），或用 0 表示任意空闲端口。",
    "Use a shorter or smaller video.": "请使用更短或更小的视频。",
    "Use a {0} image under {1} MB and {2} megapixels.":
        "请使用小于 {1} MB 且不超过 {2} 百万像素的 {0} 图片。",
    "Use another name: '{0}' holds the avatars every user shares.":
        "请换一个名称：“{0}” 存放所有用户共享的头像。",
    "Use folder names joined by single '/', none starting with '.', such as avatars/ or "
    "tenant/avatars/.":
        "请使用以单个 “/” 连接的文件夹名，且都不以 “.” 开头，例如 avatars/ 或 tenant/avatars/。",
    "Use https://{0}{1} (http is allowed only for this computer: localhost, 127.0.0.1, ::1).":
        "请使用 https://{0}{1}（只有本机地址可以用 http：localhost、127.0.0.1、::1）。",
    "Use letters, digits, - and _ only.": "只能使用字母、数字、- 和 _。",
    "Use one of {0} (see auth_config.yml.example).":
        "请使用 {0} 之一（见 auth_config.yml.example）。",
    "Use the pool's https domain (http only for a local test cloud).":
        "请使用用户池的 https 域名（http 仅用于本地测试云）。",
    "Valid keys: {0}.": "有效的键：{0}。",
    "Wait a few minutes and try again.": "请等几分钟后再试。",
    "Wait and try again later, or raise the quota / billing plan of the key in "
    "GEMINI_API_KEY.":
        "请稍后再试，或提高 GEMINI_API_KEY 中密钥的配额 / 付费方案。",
    "Wait for it to finish, or pause it first.": "请等它完成，或先暂停它。",
    "Write a plain string (quote it if in doubt).": "请写一个普通字符串（不确定时加上引号）。",
    "Write an AWS region such as us-east-1 (or `auto` for R2).":
        "请写一个 AWS 区域，例如 us-east-1（R2 用 `auto`）。",
    "Write e.g. 30.": "例如写 30。",
    "Write e.g. 4.": "例如写 4。",
    "Write the full URL, e.g. https://<account>.r2.cloudflarestorage.com.":
        "请写完整的网址，例如 https://<account>.r2.cloudflarestorage.com。",
    "Write the user pool's region, e.g. us-east-1.": "请写用户池所在的区域，例如 us-east-1。",
    "You are not signed in.": "你尚未登录。",
    "Your account asks for a second factor (MFA), which ecan does not support yet.":
        "你的账户要求第二重验证（MFA），ecan 暂不支持。",
    "Your account asks for a second factor (a code).": "你的账户要求第二重验证（验证码）。",
    "Your account needs a new password before you can sign in.":
        "你的账户需要设置新密码后才能登录。",
    "Your cloud session has expired.": "你的云端会话已过期。",
    "Your password must be reset before you can sign in.": "你的密码需要重置后才能登录。",
    "Your session expired — sign in again.": "你的会话已过期——请重新登录。",
    "bucket '{0}' does not exist at {1}.": "存储桶 “{0}” 在 {1} 不存在。",
    "bucket '{0}' is in a different region than configured.": "存储桶 “{0}” 所在区域与配置的不同。",
    "cannot be read ({0})": "无法读取（{0}）",
    "config file {0}": "配置文件 {0}",
    "generate.start: give exactly one of image_path or avatar_id.":
        "generate.start：image_path 和 avatar_id 只能且必须给出一个。",
    "image_path: a path cannot contain NUL.": "image_path：路径不能包含 NUL 字符。",
    "is missing": "缺失",
    "is not valid YAML": "不是有效的 YAML",
    "is not valid YAML{0}": "不是有效的 YAML{0}",
    "is required for the s3 backend": "是 s3 后端必需的",
    "must be a mapping of KEY: value": "必须是 KEY: value 形式的映射",
    "must be a mapping of sections": "必须是由分区组成的映射",
    "must be a mapping of sections (COGNITO, STORAGE, ...)":
        "必须是由分区（COGNITO、STORAGE……）组成的映射",
    "must be a number": "必须是数字",
    "must be a number, got {0}": "必须是数字，实际为 {0}",
    "must be a whole number, got {0}": "必须是整数，实际为 {0}",
    "must be text, got {0}": "必须是文本，实际为 {0}",
    "must not be negative": "不能为负数",
    "no config file at {0}": "{0} 处没有配置文件",
    "only one of the pair is set": "这一对中只设置了一个",
    "sign-in is not configured": "未配置登录",
    "task_id must be 32 hex digits.": "task_id 必须是 32 位十六进制数字。",
    "the hosted UI is not configured": "未配置托管登录页面",
    "the sign-in service does not know it": "登录服务不认识它",
    "unknown backend {0}": "未知的后端 {0}",
    "unknown flow {0}": "未知的登录流程 {0}",
    "unknown key": "未知的键",
    "unknown section": "未知的分区",
    "{0} (from {1})": "{0}（来自 {1}）",
    "{0} arrived damaged: the storage service's checksum of what it stored does not match "
    "the file.":
        "{0} 传输后已损坏：存储服务对所存内容计算的校验和与文件不符。",
    "{0} changed while uploading.": "{0} 在上传过程中发生了变化。",
    "{0} did not answer with JSON.": "{0} 的响应不是 JSON。",
    "{0} does not match its recorded sha256 (it changed after import); nothing was uploaded.":
        "{0} 与记录的 sha256 不符（导入后被改动过）；没有上传任何内容。",
    "{0} is a file, not a folder": "{0} 是文件，不是文件夹",
    "{0} is a system avatar and cannot be changed.": "{0} 是系统头像，不能修改。",
    "{0} is not a bandwidth limit.": "{0} 不是有效的带宽限制。",
    "{0} is not a port": "{0} 不是有效的端口",
    "{0} is not a region": "{0} 不是有效的区域",
    "{0} is not a safe folder name": "{0} 不是安全的文件夹名",
    "{0} is not a usable prefix ({1})": "{0} 不是可用的前缀（{1}）",
    "{0} is not a user pool id": "{0} 不是用户池 ID",
    "{0} is not a valid bucket name": "{0} 不是有效的存储桶名称",
    "{0} is not an http(s) URL": "{0} 不是 http(s) 网址",
    "{0} is not an https address": "{0} 不是 https 地址",
    "{0} is not an identity pool id": "{0} 不是身份池 ID",
    "{0} is not in the cloud yet, so it has no link.": "{0} 还没有上传到云端，因此没有链接。",
    "{0} is out of range": "{0} 超出范围",
    "{0} is the system avatars' folder": "{0} 是系统头像的文件夹",
    "{0} no longer exists; nothing was uploaded.": "{0} 已不存在；没有上传任何内容。",
    "{0} would send your sign-in tokens, password or keys in clear text over http":
        "{0} 会通过 http 明文发送你的登录令牌、密码或密钥",
    "{0}: cannot be read ({1})": "{0}：无法读取（{1}）",
    "{0}: could not be saved to the library ({1}).": "{0}：无法保存到头像库（{1}）。",
    "{0}: no such file": "{0}：文件不存在",
    "{0}: not a regular file": "{0}：不是普通文件",
    "{0}: not an MP4 or WebM video": "{0}：不是 MP4 或 WebM 视频",
    "{0}: over the video limit": "{0}：超出了视频大小限制",
    "{0}: the file is empty (0 bytes)": "{0}：文件为空（0 字节）",
    "{0}: {1}": "{0}：{1}",
    "{0}: {1} MB is over the {2} MB video limit": "{0}：{1} MB 超过了 {2} MB 的视频大小限制",
    "Leave the password out of the address: enter it in Settings (kept in the system keyring) "
    "or set ECAN_PROXY_PASSWORD.":
        "请不要把密码写在地址里：在“设置”中输入（保存在系统钥匙串中），"
        "或设置 ECAN_PROXY_PASSWORD。",
    "Write it as http://host:port (or http://user@host:port).":
        "请写成 http://主机:端口（或 http://用户@主机:端口）。",
    "holds a password": "包含密码",
    "{0} is not a proxy address": "{0} 不是有效的代理地址",
    # `ecan doctor`'s checks (Settings > Test connection).
    "not checked, because the {0} check did not pass": "未检查，因为 {0} 检查没有通过",
    "{0}; storage mode {1}: {2}": "{0}；存储模式 {1}：{2}",
    "{0} credentials: {1}; {2}": "{0} 凭据：{1}；{2}",
    "{0} is reachable (listed {1})": "{0} 可以访问（已列出 {1}）",
    "wrote, read back and deleted {0}": "已写入、读回并删除 {0}",
    "signed in as {0}, this computer cannot list or read other users' folders under {1}":
        "以 {0} 登录，这台电脑无法列出或读取 {1} 下其他用户的文件夹",
    "not needed: no COGNITO user pool configured": "不需要：未配置 COGNITO 用户池",
    "signed in as {0} (identity {1})": "已以 {0} 登录（身份 {1}）",
    "{0}; not needed: storage uses {1} credentials": "{0}；不需要：存储使用 {1} 凭据",
    "none needed: {0}": "不需要：{0}",
    "not applicable: the storage is a local folder": "不适用：存储是本地文件夹",
    "the storage service did not report its time": "存储服务没有报告它的时间",
    "Set the system clock: turn on automatic time (NTP), e.g. `timedatectl set-ntp true`; "
    "signed requests fail past 15 minutes.":
        "请校准系统时钟：开启自动设置时间（NTP），例如 `timedatectl set-ntp true`；"
        "时间偏差超过 15 分钟时签名请求会失败。",
    "not checked: with static keys (R2, MinIO, or keys in the config) keeping users apart is "
    "the bucket operator's policy, e.g. a scoped token per user (see the README)":
        "未检查：使用静态密钥（R2、MinIO 或配置中的密钥）时，用户之间的隔离由存储桶管理员的策略"
        "负责，例如为每个用户发放限定范围的令牌（见 README）",
    "{0}: signed in as {1}, this computer could {2}": "{0}：以 {1} 登录，这台电脑能够{2}",
    "Confine the identity pool's authenticated role to its own prefix: objects under "
    "{0}${{cognito-identity.amazonaws.com:sub}}/* and listing only with an s3:prefix condition "
    "on that folder (plus read-only {1}). `ecan cloud deploy --name NAME` writes exactly that "
    "policy; or fix the role's policy in IAM.":
        "请把身份池的已认证角色限制在它自己的前缀内：只允许 "
        "{0}${{cognito-identity.amazonaws.com:sub}}/* 下的对象，列出时必须带有限定该文件夹的 "
        "s3:prefix 条件（另加只读的 {1}）。`ecan cloud deploy --name NAME` "
        "写入的正是这样的策略；或在 IAM 中修正该角色的策略。",
    "internal error ({0})": "内部错误（{0}）",
    "Details are in the log under $ECAN_HOME/logs/ecan.log.":
        "详情见 $ECAN_HOME/logs/ecan.log 中的日志。",
    "read back different bytes from {0}": "从 {0} 读回的内容不一致",
    "The storage service or a proxy alters objects; check STORAGE.ENDPOINT_URL points at the "
    "storage service itself.":
        "存储服务或代理改动了对象；请检查 STORAGE.ENDPOINT_URL 是否直接指向存储服务本身。",
    "{0} still exists after delete": "{0} 删除后仍然存在",
    "The key lacks s3:DeleteObject on your prefix; ask the bucket's operator for it.":
        "密钥在你的前缀上缺少 s3:DeleteObject 权限；请向存储桶管理员申请。",
    "{0}; storage mode none: bucket '{1}' is set but {2}":
        "{0}；存储模式 none：已设置存储桶 “{1}”，但{2}",
    'Ask for 1 to {0} candidates, not {1}.':
        '候选数量应为 1 到 {0}，不能是 {1}。',
    'Choose a number from 1 to {0}.':
        '请选择 1 到 {0} 之间的数字。',
    'Choose from 1 to {0}.':
        '请在 1 到 {0} 之间选择。',
    "Confine the identity pool's authenticated role to its own prefix: objects under {0}${{cogn"
    'ito-identity.amazonaws.com:sub}}/* and listing only with an s3:prefix condition on that fo'
    'lder (plus read-only {1}: GetObject only). `ecan cloud deploy --name NAME` writes exactly '
    "that policy; or fix the role's policy in IAM.":
        '请把身份池的已认证角色限制在它自己的前缀内：'
        '只允许 {0}${{cognito-identity.amazonaws.com:sub}}/* 下的对象，'
        '列出时只能带该文件夹的 s3:prefix 条件（另加只读的 {1}：仅 GetObject）。'
        '`ecan cloud deploy --name NAME` 会写入正是这样的策略；'
        '或在 IAM 中修正该角色的策略。',
    'Generate again with several candidates, then choose.':
        '请以多个候选重新生成，然后挑选。',
    'Name a task from `ecan generate history`.':
        '请指定 `ecan generate history` 中列出的任务。',
    'Task {0} has no candidate {1}.':
        '任务 {0} 没有第 {1} 个候选。',
    'Task {0} has no candidates waiting.':
        '任务 {0} 没有待挑选的候选。',
    'There is no style preset {0}.':
        '没有名为 {0} 的风格预设。',
    "signed in as {0}, this computer cannot list or read other users' folders under {1}, nor ch"
    'ange the system avatars':
        '以 {0} 登录时，这台电脑无法列出或读取 {1} 下其他用户的文件夹，也无法更改系统头像',
    "Close that program, or set COGNITO.CALLBACK_PORT (or ECAN_CALLBACK_PORT) to a free port "
    "and add http://localhost:<port>/callback to the app client's callback URLs.":
        '请关闭那个程序，或把 COGNITO.CALLBACK_PORT（或 ECAN_CALLBACK_PORT）设为一个空闲端口，'
        '并把 http://localhost:<port>/callback 加入应用客户端的回调网址。',
    'Port {0} on this computer, where the browser comes back to ecan after signing in, is used '
    'by another program.':
        '本机的端口 {0}（浏览器登录后回到 ecan 的地方）正被另一个程序占用。',
    'The browser sign-in was cancelled.':
        '浏览器登录已取消。',
    'Agent {0} kept changing in the cloud while being saved.':
        '保存时，智能体 {0} 在云端不断被更改。',
    'Delete that agent on one computer and save it again.':
        '请在一台电脑上删除该智能体，然后重新保存。',
    'It is read again and the change merged.':
        '将重新读取并合并更改。',
    'It is tried again shortly.':
        '稍后会自动重试。',
    'Nothing to do here; it did not come from ecan.':
        '无需处理；它不是 ecan 写入的。',
    "The cloud's document for agent {0} is over the {1} byte limit, so it was not read.":
        '云端智能体 {0} 的文档超过 {1} 字节的上限，因此未读取。',
    '{0} is over the {1} byte limit for it, so it was not read.':
        '{0} 超过了 {1} 字节的上限，因此未读取。',
    '{0} was changed by someone else meanwhile.':
        '{0} 在此期间已被别人更改。',
    # export (ecan.avatars.export)
    "Check the folder and the disk, then export again.": "请检查文件夹和磁盘，然后重新导出。",
    "Choose a folder you can write to.": "请选择一个你可以写入的文件夹。",
    "Choose another name, or replace it (`--force`).": "请换一个名称，或替换它（`--force`）。",
    "Free some space or choose another place, then export again.":
        "请释放一些空间或换一个位置，然后重新导出。",
    "Give a folder (it is made if it does not exist).": "请给出一个文件夹（不存在时会自动创建）。",
    "Run `ecan doctor`; a restore (`ecan restore`) brings synced avatars back.":
        "请运行 `ecan doctor`；恢复（`ecan restore`）可以取回已同步的头像。",
    "Save into a folder that exists.": "请保存到一个已存在的文件夹。",
    "Save its picture instead.": "请改为保存它的图片。",
    "Sync it first, then export it.": "请先同步它，然后再导出。",
    "{0} already exists; it was left as it was.": "{0} 已存在，未做改动。",
    "{0} has no picture on this computer.": "{0} 在这台电脑上没有图片。",
    "{0} has no video to save.": "{0} 没有可保存的视频。",
    "{0} is a file; several avatars are saved into a folder.":
        "{0} 是一个文件；多个头像需要保存到文件夹中。",
    "{0}: could not be written ({1}).": "{0}：无法写入（{1}）。",
    "{0}: the disk is full; nothing was written.": "{0}：磁盘已满，没有写入任何内容。",
    "The folder holding the library {0} is read-only, so ecan cannot open it.":
        "头像库所在的文件夹 {0} 是只读的，ecan 无法打开它。",
    "Make it writable (or set ECAN_HOME to a folder you can write to), then try again; the "
    "library is as it was.":
        "请让它可写（或把 ECAN_HOME 设为你可以写入的文件夹），然后重试；头像库保持原样。",
    "The disk holding the library {0} is full, so ecan cannot open it.":
        "头像库 {0} 所在的磁盘已满，ecan 无法打开它。",
    "Free some space on that disk, then try again; the library is as it was.":
        "请在该磁盘上腾出一些空间，然后重试；头像库保持原样。",
    "{0}: too little free space on the disk holding the library ({1} MB needed).":
        "{0}：头像库所在磁盘的可用空间不足（需要 {1} MB）。",
    "Free some space on it: the next sync brings the avatar.":
        "请腾出一些空间：下次同步时会取回这个头像。",
    "{0}: the library's file is missing.": "{0}：头像库中的文件不见了。",
    "{0}: there is no such folder.": "{0}：没有这个文件夹。",
    "{0}: you may not write in this folder.": "{0}：你无权写入此文件夹。",
}
