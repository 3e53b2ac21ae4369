<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>AccountSwitcher</name>
    <message>
        <location filename="../../ui/account_dialogs.py" line="364" />
        <source>Switch to {name}…</source>
        <translation>切换到 {name}…</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="365" />
        <source>Sign in as {name}…</source>
        <translation>以 {name} 的身份登录…</translation>
    </message>
</context>
<context>
    <name>AgentsPage</name>
    <message>
        <location filename="../../ui/agents_page.py" line="151" />
        <location filename="../../ui/agents_page.py" line="152" />
        <source>Agents</source>
        <translation>智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="153" />
        <location filename="../../ui/agents_page.py" line="154" />
        <location filename="../../ui/agents_page.py" line="156" />
        <location filename="../../ui/agents_page.py" line="251" />
        <source>New agent</source>
        <translation>新建智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="155" />
        <location filename="../../ui/agents_page.py" line="317" />
        <location filename="../../ui/agents_page.py" line="388" />
        <source>Edit agent</source>
        <translation>编辑智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="157" />
        <source>&amp;Name</source>
        <translation>名称(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="158" />
        <source>Agent name</source>
        <translation>智能体名称</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="159" />
        <source>e.g. Support assistant</source>
        <translation>例如：客服助手</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="160" />
        <source>&amp;Description</source>
        <translation>描述(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="161" />
        <source>Agent description</source>
        <translation>智能体描述</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="162" />
        <source>What this agent does (optional)</source>
        <translation>这个智能体做什么（可选）</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="163" />
        <source>Avatar</source>
        <translation>头像</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="164" />
        <source>Choose the agent's avatar</source>
        <translation>选择智能体的头像</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="165" />
        <source>Show avatars of kind</source>
        <translation>按类型显示头像</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="169" />
        <source>All avatars</source>
        <translation>全部头像</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="169" />
        <source>Built-in</source>
        <translation>内置</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="170" />
        <source>Uploaded</source>
        <translation>已上传</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="170" />
        <source>Generated</source>
        <translation>AI 生成</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="173" />
        <location filename="../../ui/agents_page.py" line="174" />
        <location filename="../../ui/agents_page.py" line="406" />
        <source>Delete agent</source>
        <translation>删除智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="175" />
        <location filename="../../ui/agents_page.py" line="176" />
        <source>Save agent</source>
        <translation>保存智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="286" />
        <source>the new agent</source>
        <translation>新智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="287" />
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="288" />
        <source>Save your changes to “{name}”?</source>
        <translation>保存对“{name}”的更改吗？</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="289" />
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="290" />
        <source>Discard</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="291" />
        <location filename="../../ui/agents_page.py" line="409" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="293" />
        <source>If you don't save, your changes to this agent are lost.</source>
        <translation>如果不保存，对这个智能体的更改将会丢失。</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="358" />
        <source>Give the agent a name.</source>
        <translation>请为智能体命名。</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="390" />
        <source>Agent “{name}” saved.</source>
        <translation>智能体“{name}”已保存。</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="407" />
        <source>Delete the agent “{name}”?</source>
        <translation>删除智能体“{name}”吗？</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="408" />
        <source>Its avatar stays in your library.</source>
        <translation>它的头像会保留在您的头像库中。</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="409" />
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="416" />
        <source>Agent “{name}” deleted.</source>
        <translation>智能体“{name}”已删除。</translation>
    </message>
</context>
<context>
    <name>AvatarListModel</name>
    <message>
        <location filename="../../ui/gallery_model.py" line="151" />
        <source>video, {length}</source>
        <translation>视频，{length}</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="151" />
        <source>video</source>
        <translation>视频</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="155" />
        <source>On this computer only</source>
        <translation>仅在本机</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="156" />
        <source>Waiting to sync</source>
        <translation>等待同步</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="157" />
        <source>Syncing</source>
        <translation>正在同步</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="158" />
        <source>Synced</source>
        <translation>已同步</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="159" />
        <source>Sync failed</source>
        <translation>同步失败</translation>
    </message>
</context>
<context>
    <name>AvatarsPage</name>
    <message>
        <location filename="../../ui/avatars_page.py" line="166" />
        <source>Search by name, tag or description</source>
        <translation>按名称、标签或描述搜索</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="167" />
        <source>Search avatars</source>
        <translation>搜索头像</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="168" />
        <source>Avatar gallery</source>
        <translation>头像库</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="169" />
        <source>Show avatars by sync state</source>
        <translation>按同步状态显示头像</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="173" />
        <source>My avatars</source>
        <translation>我的头像</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="173" />
        <source>All, with built-in</source>
        <translation>全部（含内置）</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="174" />
        <source>Built-in avatars</source>
        <translation>内置头像</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="174" />
        <source>Failed to sync</source>
        <translation>同步失败的</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="175" />
        <source>Not synced yet</source>
        <translation>尚未同步的</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="175" />
        <source>Synced</source>
        <translation>已同步</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="178" />
        <source>Import pictures…</source>
        <translation>导入图片…</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="179" />
        <source>Import pictures</source>
        <translation>导入图片</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="214" />
        <source>Built-in avatars cannot be deleted.</source>
        <translation>内置头像不能删除。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="220" />
        <source>“{name}” is the avatar of %n agent(s) ({agents}): give them another avatar first.</source>
        <translation>
            <numerusform>“{name}”是 %n 个智能体（{agents}）的头像：请先为它们换一个头像。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="226" />
        <source>“{name}” is the avatar of %n agent(s): give them another avatar first.</source>
        <translation>
            <numerusform>“{name}”是 %n 个智能体的头像：请先为它们换一个头像。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="279" />
        <source>The library could not be read</source>
        <translation>无法读取头像库</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="348" />
        <location filename="../../ui/avatars_page.py" line="370" />
        <source>Loading your library…</source>
        <translation>正在载入头像库…</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="353" />
        <source>{shown} of %n avatar(s)</source>
        <translation>
            <numerusform>显示 {shown} / %n 个头像</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="354" />
        <source>%n avatar(s)</source>
        <translation>
            <numerusform>%n 个头像</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="360" />
        <source>%n built-in avatar(s) are ready to use: choose “Built-in avatars” above to see them.</source>
        <translation>
            <numerusform>另有 %n 个内置头像可直接使用：在上方选择“内置头像”即可查看。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="356" />
        <source>Your avatar library is empty</source>
        <translation>头像库还是空的</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="358" />
        <source>Drop pictures here or click Import. You can also paste an image with Ctrl+V.</source>
        <translation>把图片拖到这里，或点击“导入”。也可以用 Ctrl+V 粘贴图片。</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="375" />
        <source>No avatars match</source>
        <translation>没有匹配的头像</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="376" />
        <source>Try another search, or show all avatars.</source>
        <translation>换个关键词试试，或显示全部头像。</translation>
    </message>
</context>
<context>
    <name>BugReporter</name>
    <message>
        <location filename="../../ui/bug_dialog.py" line="40" />
        <source>ecan hit a problem</source>
        <translation>ecan 遇到了问题</translation>
    </message>
    <message>
        <location filename="../../ui/bug_dialog.py" line="41" />
        <source>Something went wrong ({kind}). Your library is safe; you can keep working.</source>
        <translation>出现了错误（{kind}）。您的头像库安然无恙，可以继续使用。</translation>
    </message>
    <message>
        <location filename="../../ui/bug_dialog.py" line="43" />
        <source>Details were written to the log: {path}</source>
        <translation>详细信息已写入日志：{path}</translation>
    </message>
    <message>
        <location filename="../../ui/bug_dialog.py" line="44" />
        <source>(no log file)</source>
        <translation>（无日志文件）</translation>
    </message>
</context>
<context>
    <name>CropDialog</name>
    <message>
        <location filename="../../ui/crop_dialog.py" line="136" />
        <source>Crop your avatar</source>
        <translation>裁剪头像</translation>
    </message>
    <message>
        <location filename="../../ui/crop_dialog.py" line="140" />
        <source>Crop area: drag or use the arrow keys to move</source>
        <translation>裁剪区域：拖动或用方向键移动</translation>
    </message>
    <message>
        <location filename="../../ui/crop_dialog.py" line="143" />
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <location filename="../../ui/crop_dialog.py" line="146" />
        <source>Round preview</source>
        <translation>圆形预览</translation>
    </message>
    <message>
        <location filename="../../ui/crop_dialog.py" line="152" />
        <source>&amp;Zoom</source>
        <translation>缩放(&amp;Z)</translation>
    </message>
    <message>
        <location filename="../../ui/crop_dialog.py" line="155" />
        <source>Zoom</source>
        <translation>缩放</translation>
    </message>
    <message>
        <location filename="../../ui/crop_dialog.py" line="163" />
        <source>Save avatar</source>
        <translation>保存头像</translation>
    </message>
    <message>
        <location filename="../../ui/crop_dialog.py" line="164" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
<context>
    <name>DetailsPane</name>
    <message>
        <location filename="../../ui/details.py" line="208" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="208" />
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="209" />
        <source>Dimensions</source>
        <translation>尺寸</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="209" />
        <source>File size</source>
        <translation>文件大小</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="210" />
        <source>Length</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="211" />
        <source>Sync</source>
        <translation>同步</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="211" />
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="212" />
        <source>Cloud key</source>
        <translation>云端键名</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="215" />
        <location filename="../../ui/details.py" line="216" />
        <source>Copy public link</source>
        <translation>复制公开链接</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="217" />
        <source>Copy the avatar's public (CDN) link</source>
        <translation>复制头像的公开（CDN）链接</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="218" />
        <location filename="../../ui/details.py" line="219" />
        <source>Copy private link</source>
        <translation>复制私有链接</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="220" />
        <source>Copy a time-limited link to the original</source>
        <translation>复制原图的限时链接</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="221" />
        <source>Works for 1 hour</source>
        <translation>有效期 1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="221" />
        <source>Works for 1 day</source>
        <translation>有效期 1 天</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="222" />
        <source>Works for 7 days</source>
        <translation>有效期 7 天</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="225" />
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="226" />
        <source>Play video</source>
        <translation>播放视频</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="227" />
        <source>Open the video in your video player</source>
        <translation>用你的视频播放器打开这段视频</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="228" />
        <location filename="../../ui/details.py" line="229" />
        <source>Retry sync</source>
        <translation>重试同步</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="230" />
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="231" />
        <source>Delete avatar</source>
        <translation>删除头像</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="232" />
        <source>Select an avatar to see its details.</source>
        <translation>选择一个头像以查看详细信息。</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="233" />
        <source>&amp;Name</source>
        <translation>名称(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="233" />
        <source>&amp;Tags</source>
        <translation>标签(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="234" />
        <source>D&amp;escription</source>
        <translation>描述(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="236" />
        <source>Avatar name</source>
        <translation>头像名称</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="237" />
        <source>Avatar tags</source>
        <translation>头像标签</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="238" />
        <source>e.g. friendly, blue</source>
        <translation>例如：友好, 蓝色</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="239" />
        <source>Avatar description</source>
        <translation>头像描述</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="240" />
        <source>What this avatar is for (optional)</source>
        <translation>这个头像的用途（可选）</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="241" />
        <source>Save changes</source>
        <translation>保存更改</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="269" />
        <source>Built-in</source>
        <translation>内置</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="269" />
        <source>Uploaded</source>
        <translation>已上传</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="270" />
        <source>Generated</source>
        <translation>AI 生成</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="271" />
        <source>On this computer only</source>
        <translation>仅在本机</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="271" />
        <source>Waiting to sync</source>
        <translation>等待同步</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="272" />
        <source>Syncing</source>
        <translation>正在同步</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="272" />
        <source>Synced</source>
        <translation>已同步</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="273" />
        <source>Sync failed</source>
        <translation>同步失败</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="280" />
        <source>{format} video</source>
        <translation>{format} 视频</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="292" />
        <source>not in the cloud yet</source>
        <translation>尚未上传到云端</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="369" />
        <source>No video player is set up to open {name}.</source>
        <translation>没有可以打开 {name} 的视频播放器。</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="413" />
        <source>Changes saved.</source>
        <translation>更改已保存。</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="426" />
        <source>Private link copied: it works until {when}.</source>
        <translation>私密链接已复制：有效期至 {when}。</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="433" />
        <source>Link copied to the clipboard.</source>
        <translation>链接已复制到剪贴板。</translation>
    </message>
</context>
<context>
    <name>GenerateDialog</name>
    <message>
        <location filename="../../ui/generate_dialog.py" line="234" />
        <source>Generate an AI avatar</source>
        <translation>生成 AI 头像</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="235" />
        <location filename="../../ui/generate_dialog.py" line="247" />
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="236" />
        <source>History</source>
        <translation>历史记录</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="237" />
        <source>Start from</source>
        <translation>从这里开始</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="238" />
        <source>A photo file</source>
        <translation>照片文件</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="239" />
        <source>An avatar in my library</source>
        <translation>头像库中的头像</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="240" />
        <source>Photo file</source>
        <translation>照片文件</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="241" />
        <source>Choose a photo…</source>
        <translation>选择照片…</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="242" />
        <source>Avatar to start from</source>
        <translation>作为起点的头像</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="243" />
        <location filename="../../ui/generate_dialog.py" line="244" />
        <source>Your request</source>
        <translation>您的要求</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="246" />
        <source>e.g. Dress this person in a doctor's white coat, in a hospital</source>
        <translation>例如：让这个人穿上医生的白大褂，背景是医院</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="248" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="249" />
        <location filename="../../ui/generate_dialog.py" line="250" />
        <source>Refined prompt</source>
        <translation>优化后的提示词</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="251" />
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="252" />
        <source>Keep</source>
        <translation>保留</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="253" />
        <source>Discard</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="254" />
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="255" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="256" />
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="256" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="257" />
        <source>Request</source>
        <translation>要求</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="257" />
        <source>Time</source>
        <translation>用时</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="258" />
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="271" />
        <source>Choose a photo</source>
        <translation>选择照片</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="272" />
        <source>Images (*.png *.jpg *.jpeg *.webp *.gif)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.webp *.gif)</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="302" />
        <source>Pick an avatar first.</source>
        <translation>请先选择一个头像。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="307" />
        <source>Pick a photo file first.</source>
        <translation>请先选择一张照片。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="311" />
        <source>Write what the avatar should look like.</source>
        <translation>请写下头像应该是什么样子。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="319" />
        <source>Analysing the photo and drawing the avatar… this can take a minute.</source>
        <translation>正在分析照片并绘制头像……可能需要一分钟。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="326" />
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="348" />
        <source>Done: the avatar is in your library.</source>
        <translation>完成：头像已加入您的头像库。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="363" />
        <source>Analyse {a} s · generate {g} s · total {t} s</source>
        <translation>分析 {a} 秒 · 生成 {g} 秒 · 共 {t} 秒</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="385" />
        <source>Kept: the avatar stays in your library.</source>
        <translation>已保留：头像保留在您的头像库中。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="406" />
        <source>Discarded.</source>
        <translation>已丢弃。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="425" />
        <source>succeeded</source>
        <translation>成功</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="425" />
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="426" />
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="429" />
        <source>running</source>
        <translation>进行中</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/generate_dialog.py" line="440" />
        <source>%n task(s) · {rate} succeeded · analyse {a} s, generate {g} s on average · {credits} images used</source>
        <translation>
            <numerusform>%n 个任务 · 成功率 {rate} · 平均分析 {a} 秒、生成 {g} 秒 · 已用 {credits} 张图片额度</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="445" />
        <source>No budget limit</source>
        <translation>不限额度</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="447" />
        <source>Budget: {left} of {budget} images left</source>
        <translation>额度：剩余 {left} / {budget} 张图片</translation>
    </message>
</context>
<context>
    <name>ImportSummaryDialog</name>
    <message>
        <location filename="../../ui/import_flow.py" line="192" />
        <source>Import finished</source>
        <translation>导入完成</translation>
    </message>
    <message>
        <location filename="../../ui/import_flow.py" line="196" />
        <source>Added {ok} of {total} files. {refused} could not be imported:</source>
        <translation>已添加 {ok} 个（共 {total} 个文件）。{refused} 个无法导入：</translation>
    </message>
    <message>
        <location filename="../../ui/import_flow.py" line="201" />
        <source>Refused files</source>
        <translation>未导入的文件</translation>
    </message>
    <message>
        <location filename="../../ui/import_flow.py" line="202" />
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../ui/import_flow.py" line="202" />
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../../ui/import_flow.py" line="213" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>Launcher</name>
    <message>
        <location filename="../../ui/launcher.py" line="144" />
        <source>Starting the local demo cloud…</source>
        <translation>正在启动本地演示云…</translation>
    </message>
    <message>
        <location filename="../../ui/launcher.py" line="185" />
        <source>Demo cloud ready: signed in as the demo user. Your pictures sync to a local test cloud that is discarded when ecan closes.</source>
        <translation>演示云已就绪：已用演示用户登录。图片会同步到本地测试云，ecan 关闭后即被清除。</translation>
    </message>
    <message>
        <location filename="../../ui/launcher.py" line="202" />
        <source>Demo cloud</source>
        <translation>演示云</translation>
    </message>
    <message>
        <location filename="../../ui/launcher.py" line="203" />
        <source>The local demo cloud could not start: {message}
{hint}</source>
        <translation>本地演示云无法启动：{message}
{hint}</translation>
    </message>
    <message>
        <location filename="../../ui/launcher.py" line="222" />
        <source>ecan cannot start: {message}</source>
        <translation>ecan 无法启动：{message}</translation>
    </message>
</context>
<context>
    <name>LocalAvatarsOffer</name>
    <message>
        <location filename="../../ui/account_dialogs.py" line="402" />
        <source>Avatars used without an account</source>
        <translation>未登录时使用的头像</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/account_dialogs.py" line="403" />
        <source>This computer has %n avatar(s) you added without signing in. Move them into {account}'s library?</source>
        <translation>
            <numerusform>这台电脑上有 %n 个你在未登录时添加的头像。要把它们移到 {account} 的头像库吗？</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="405" />
        <source>Move them</source>
        <translation>移过去</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="406" />
        <source>Keep them apart</source>
        <translation>分开保留</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="407" />
        <source>Ask me later</source>
        <translation>以后再问</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="409" />
        <source>Moved avatars upload to this account's cloud storage. Kept apart, they stay on this computer, shown only when nobody is signed in.</source>
        <translation>移过去的头像会上传到此账户的云存储。分开保留的头像留在这台电脑上，只在无人登录时显示。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/account_dialogs.py" line="420" />
        <source>Moved %n avatar(s) into your account; they upload now.</source>
        <translation>
            <numerusform>已将 %n 个头像移到你的账户；现在开始上传。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="380" />
        <source>Avatars</source>
        <translation>头像</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="381" />
        <source>Agents</source>
        <translation>智能体</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="382" />
        <source>Screens</source>
        <translation>页面</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="384" />
        <source>&amp;Import…</source>
        <translation>导入(&amp;I)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="384" />
        <source>Import pictures from files</source>
        <translation>从文件导入图片</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="385" />
        <source>Import &amp;folder…</source>
        <translation>导入文件夹(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="386" />
        <source>Import every picture in a folder</source>
        <translation>导入文件夹中的所有图片</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="387" />
        <source>&amp;Paste picture</source>
        <translation>粘贴图片(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="388" />
        <source>Add the picture on the clipboard</source>
        <translation>添加剪贴板中的图片</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="389" />
        <source>&amp;Generate…</source>
        <translation>AI 生成(&amp;G)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="389" />
        <source>Make an avatar with AI</source>
        <translation>用 AI 生成头像</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="390" />
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="390" />
        <source>Storage, sync and language</source>
        <translation>存储、同步和语言</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="391" />
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="392" />
        <source>&amp;Delete</source>
        <translation>删除(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="355" />
        <source>Delete the selected avatars</source>
        <translation>删除所选头像</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="379" />
        <source>Avatar library</source>
        <translation>头像库</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="393" />
        <source>&amp;Retry failed</source>
        <translation>重试失败项(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="393" />
        <source>Try failed uploads again</source>
        <translation>重新上传失败的头像</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="394" />
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="395" />
        <source>Set &amp;up sync…</source>
        <translation>设置同步(&amp;U)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="396" />
        <source>Choose where your avatars are kept in the cloud</source>
        <translation>选择头像在云端的存放位置</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="397" />
        <source>Sign &amp;in…</source>
        <translation>登录(&amp;I)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="398" />
        <source>Sign &amp;out</source>
        <translation>退出登录(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="399" />
        <source>Set up an &amp;authenticator app…</source>
        <translation>设置身份验证器应用(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="400" />
        <source>Open &amp;log folder</source>
        <translation>打开日志文件夹(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="401" />
        <source>&amp;About ecan</source>
        <translation>关于 ecan(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="402" />
        <source>Show ecan</source>
        <translation>显示 ecan</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="408" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="409" />
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="410" />
        <source>S&amp;ync</source>
        <translation>同步(&amp;Y)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="411" />
        <source>&amp;Account</source>
        <translation>账户(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="412" />
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="413" />
        <source>Toolbar</source>
        <translation>工具栏</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="414" />
        <source>Sync progress</source>
        <translation>同步进度</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="415" />
        <source>Import progress</source>
        <translation>导入进度</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="416" />
        <source>Account</source>
        <translation>账户</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="430" />
        <source>Endpoint set by {name}</source>
        <translation>服务端点由 {name} 设置</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="433" />
        <source>{n} endpoints set by environment variables</source>
        <translation>{n} 个服务端点由环境变量设置</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="435" />
        <source>{name} sends requests to {url}</source>
        <translation>{name} 将请求发往 {url}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="469" />
        <source>Drop to import these files</source>
        <translation>松开鼠标即可导入这些文件</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="492" />
        <source>Importing…</source>
        <translation>正在导入…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="507" />
        <source>Import pictures</source>
        <translation>导入图片</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="508" />
        <source>Pictures and videos ({patterns})</source>
        <translation>图片和视频 ({patterns})</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="519" />
        <source>Import a folder of pictures</source>
        <translation>导入图片文件夹</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="544" />
        <source>There is no picture on the clipboard.</source>
        <translation>剪贴板中没有图片。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="553" />
        <source>Importing %v of %m</source>
        <translation>正在导入 %v / %m</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="557" />
        <source>Importing {done} of {total}…</source>
        <translation>正在导入 {done} / {total}…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="565" />
        <source>Nothing to import: no pictures were found there.</source>
        <translation>没有可导入的内容：那里没有找到图片。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="601" />
        <location filename="../../ui/main_window.py" line="608" />
        <source>Delete avatars</source>
        <translation>删除头像</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="684" />
        <source>Restoring your library from the cloud…</source>
        <translation>正在从云端恢复你的头像库…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="703" />
        <source>Signed out. New avatars wait on this computer until you sign in.</source>
        <translation>已退出登录。新头像会保存在本机，登录后再同步。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="718" />
        <source>Settings saved. Syncing uses them now.</source>
        <translation>设置已保存，同步已按新设置进行。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="735" />
        <source>About ecan</source>
        <translation>关于 ecan</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="736" />
        <source>ecan {version}
Your avatar library for the AI agents you build: local first, synced to your own cloud storage.</source>
        <translation>ecan {version}
为您打造的 AI 智能体管理头像：本地优先，同步到您自己的云存储。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="761" />
        <source>Syncing stopped unexpectedly; it restarts by itself in {s} s. Nothing is lost: the queue is kept.</source>
        <translation>同步意外停止，将在 {s} 秒后自动重启。不会丢失任何内容：队列已保留。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="787" />
        <source>Signed in</source>
        <translation>已登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="788" />
        <source>Signed in as {user} (identity {identity})</source>
        <translation>已登录为 {user}（身份 {identity}）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="791" />
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="792" />
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="794" />
        <source>Cloud storage (no sign-in)</source>
        <translation>云存储（无需登录）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="795" />
        <source>Syncing with the configured storage keys</source>
        <translation>使用配置的存储密钥同步</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="797" />
        <source>Set up sync</source>
        <translation>设置同步</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="879" />
        <source>Signed out · %n waiting</source>
        <translation>
            <numerusform>已退出登录 · %n 个待同步</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="880" />
        <location filename="../../ui/main_window.py" line="914" />
        <source>Signed out</source>
        <translation>已退出登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="891" />
        <source>{n} synced</source>
        <translation>{n} 个已同步</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="912" />
        <source>Local only</source>
        <translation>仅本地</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="798" />
        <source>No cloud storage is set up (see Settings)</source>
        <translation>尚未设置云存储（见“设置”）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="571" />
        <source>Added {new}; {existing} already in the library.</source>
        <translation>已添加 {new} 个；{existing} 个已在头像库中。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="573" />
        <source>Nothing new: {existing} already in the library.</source>
        <translation>没有新增：{existing} 个已在头像库中。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="575" />
        <source>Added {new}.</source>
        <translation>已添加 {new} 个。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="577" />
        <source>{refused} could not be imported.</source>
        <translation>{refused} 个无法导入。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="605" />
        <source>%n of the selected avatars cannot be deleted and stay:</source>
        <translation>
            <numerusform>所选头像中有 %n 个不能删除，将保留：</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="609" />
        <source>Delete %n avatar(s)? They are removed from this computer and from your cloud storage.</source>
        <translation>
            <numerusform>删除 %n 个头像？它们将从本机和您的云存储中移除。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="611" />
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="611" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="645" />
        <source>Retrying %n upload(s).</source>
        <translation>
            <numerusform>正在重试 %n 个上传。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="692" />
        <source>Restored %n avatar(s) from the cloud.</source>
        <translation>
            <numerusform>已从云端恢复 %n 个头像。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="877" />
        <source>Saved on this computer</source>
        <translation>已保存在本机</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="883" />
        <source>Syncing {done} of {total}</source>
        <translation>正在同步 {done} / {total}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="885" />
        <source>{rate}/s</source>
        <translation>{rate}/秒</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="887" />
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="893" />
        <source>All {n} synced</source>
        <translation>{n} 个全部已同步</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="894" />
        <source>Nothing to sync</source>
        <translation>没有需要同步的内容</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="896" />
        <source>{n} failed</source>
        <translation>{n} 个失败</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="898" />
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="901" />
        <source>Synced {synced}, waiting {waiting}, failed {failed}, on this computer only {local}</source>
        <translation>已同步 {synced}，等待 {waiting}，失败 {failed}，仅本机 {local}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="910" />
        <source>Sign-in needed</source>
        <translation>需要登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="916" />
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="918" />
        <source>Offline — will retry</source>
        <translation>离线 — 稍后重试</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="922" />
        <source>&amp;Resume sync</source>
        <translation>继续同步(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="922" />
        <source>&amp;Pause sync</source>
        <translation>暂停同步(&amp;P)</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../ui/settings_dialog.py" line="64" />
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="70" />
        <source>Cloud storage</source>
        <translation>云存储</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="73" />
        <source>None: keep avatars on this computer only</source>
        <translation>无：头像只保存在本机</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="74" />
        <source>A folder (another disk or a synced folder)</source>
        <translation>文件夹（其他磁盘或同步文件夹）</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="75" />
        <source>Amazon S3</source>
        <translation>Amazon S3</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="76" />
        <source>S3-compatible (Cloudflare R2, MinIO…)</source>
        <translation>S3 兼容（Cloudflare R2、MinIO…）</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="77" />
        <source>Storage backend</source>
        <translation>存储后端</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="79" />
        <source>Bucket</source>
        <translation>存储桶</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="82" />
        <source>Region</source>
        <translation>区域</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="85" />
        <source>Endpoint URL</source>
        <translation>端点 URL</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="87" />
        <source>Key prefix</source>
        <translation>键名前缀</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="90" />
        <source>CDN domain</source>
        <translation>CDN 域名</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="92" />
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="93" />
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="103" />
        <source>Parallel uploads</source>
        <translation>并行上传数</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="106" />
        <source>&amp;Storage</source>
        <translation>存储(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="107" />
        <source>&amp;Bucket</source>
        <translation>存储桶(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="108" />
        <source>&amp;Region</source>
        <translation>区域(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="109" />
        <source>&amp;Endpoint URL</source>
        <translation>端点 URL(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="110" />
        <source>F&amp;older</source>
        <translation>文件夹(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="111" />
        <source>Key &amp;prefix</source>
        <translation>键名前缀(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="112" />
        <source>&amp;CDN domain</source>
        <translation>CDN 域名(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="113" />
        <source>Parallel &amp;uploads</source>
        <translation>并行上传数(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="126" />
        <source>Access keys are never written by ecan: set them in the environment (AVATAR_CLOUD_ACCESS_KEY / AVATAR_CLOUD_SECRET_KEY) or sign in.</source>
        <translation>ecan 从不写入访问密钥：请在环境变量（AVATAR_CLOUD_ACCESS_KEY / AVATAR_CLOUD_SECRET_KEY）中设置，或登录。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="133" />
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="136" />
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="138" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="143" />
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="155" />
        <source>&amp;Test connection</source>
        <translation>测试连接(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="156" />
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="162" />
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="163" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="187" />
        <source>Set by the environment variable {name}</source>
        <translation>由环境变量 {name} 设置</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="194" />
        <source>Set by the environment variable {name}: change it there.</source>
        <translation>由环境变量 {name} 设置：请在那里修改。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="203" />
        <source>Choose the folder to sync to</source>
        <translation>选择要同步到的文件夹</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="260" />
        <source>No library is open.</source>
        <translation>没有打开的头像库。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="314" />
        <source>Testing the connection…</source>
        <translation>正在测试连接…</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="326" />
        <source>All {n} checks passed.</source>
        <translation>全部 {n} 项检查均通过。</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <location filename="../../ui/signin_dialog.py" line="48" />
        <location filename="../../ui/signin_dialog.py" line="211" />
        <source>Sign in to ecan</source>
        <translation>登录 ecan</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="84" />
        <source>Your session has expired. Sign in again to resume syncing; nothing waiting to upload has been lost.</source>
        <translation>登录已过期。请重新登录以继续同步；等待上传的内容都没有丢失。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="86" />
        <source>Sign in to sync your avatars to your cloud storage and find them on every computer you use.</source>
        <translation>登录后，头像会同步到您的云存储，在您使用的每台电脑上都能找到。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="90" />
        <source>Username</source>
        <translation>用户名</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="89" />
        <source>user name or email</source>
        <translation>用户名或邮箱</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="92" />
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="88" />
        <location filename="../../ui/signin_dialog.py" line="118" />
        <location filename="../../ui/signin_dialog.py" line="144" />
        <source>&amp;Username</source>
        <translation>用户名(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="77" />
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="91" />
        <location filename="../../ui/signin_dialog.py" line="120" />
        <source>&amp;Password</source>
        <translation>密码(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="94" />
        <source>Sign-in error</source>
        <translation>登录错误</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="95" />
        <location filename="../../ui/signin_dialog.py" line="122" />
        <source>Create account</source>
        <translation>创建账户</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="96" />
        <source>Forgot password?</source>
        <translation>忘记密码？</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="97" />
        <location filename="../../ui/signin_dialog.py" line="191" />
        <source>Sign in with browser</source>
        <translation>用浏览器登录</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="107" />
        <location filename="../../ui/signin_dialog.py" line="108" />
        <location filename="../../ui/signin_dialog.py" line="328" />
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="109" />
        <location filename="../../ui/signin_dialog.py" line="201" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="115" />
        <source>Create an ecan account</source>
        <translation>创建 ecan 账户</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="116" />
        <source>Create an ecan account. The sign-in service e-mails you a code to confirm it.</source>
        <translation>创建 ecan 账户。登录服务会通过电子邮件向你发送一个验证码来确认。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="119" />
        <source>&amp;E-mail</source>
        <translation>电子邮件(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="119" />
        <source>you@example.com</source>
        <translation>you@example.com</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="129" />
        <source>Confirm your account</source>
        <translation>确认你的账户</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="130" />
        <location filename="../../ui/signin_dialog.py" line="153" />
        <location filename="../../ui/signin_dialog.py" line="183" />
        <source>&amp;Code</source>
        <translation>验证码(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="131" />
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="133" />
        <location filename="../../ui/signin_dialog.py" line="158" />
        <source>Send again</source>
        <translation>重新发送</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="141" />
        <location filename="../../ui/signin_dialog.py" line="152" />
        <source>Reset your password</source>
        <translation>重设密码</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="142" />
        <source>Type your username: the sign-in service e-mails you a code to set a new password.</source>
        <translation>请输入你的用户名：登录服务会通过电子邮件向你发送一个验证码，用来设置新密码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="145" />
        <source>Send code</source>
        <translation>发送验证码</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="154" />
        <location filename="../../ui/signin_dialog.py" line="169" />
        <source>&amp;New password</source>
        <translation>新密码(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="156" />
        <location filename="../../ui/signin_dialog.py" line="172" />
        <source>Set password</source>
        <translation>设置密码</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="166" />
        <source>Choose a new password</source>
        <translation>设置新密码</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="167" />
        <source>Your account needs a new password before you can sign in. Choose one that only you know.</source>
        <translation>你的账户需要先设置新密码才能登录。请设置一个只有你知道的密码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="170" />
        <source>&amp;Repeat it</source>
        <translation>再输入一次(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="179" />
        <source>Two-step sign-in</source>
        <translation>两步登录</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="184" />
        <location filename="../../ui/signin_dialog.py" line="480" />
        <location filename="../../ui/signin_dialog.py" line="484" />
        <source>Verify</source>
        <translation>验证</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="192" />
        <source>Finish signing in in your browser. ecan waits here until the sign-in page sends you back.</source>
        <translation>请在浏览器中完成登录。ecan 会在这里等待，直到登录页面把你送回来。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="196" />
        <source>&amp;Address</source>
        <translation>地址(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="198" />
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="232" />
        <source>Enter your username and password.</source>
        <translation>请输入用户名和密码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="260" />
        <source>your phone</source>
        <translation>你的手机</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="263" />
        <source>Type the 6-digit code from your authenticator app.</source>
        <translation>请输入身份验证器应用中的 6 位验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="266" />
        <source>Type the code that was texted to {where}.</source>
        <translation>请输入通过短信发送到 {where} 的验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="270" />
        <source>Your account asks for an authenticator app. Scan this QR code with one, then type the 6-digit code it shows.</source>
        <translation>你的账户要求使用身份验证器应用。请用它扫描此二维码，然后输入它显示的 6 位验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="276" />
        <source>This account asks for a step ecan cannot show yet ({step}). Sign in with `ecan login` in a terminal.</source>
        <translation>此账户要求一个 ecan 暂时无法显示的步骤（{step}）。请在终端中用 `ecan login` 登录。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="313" />
        <source>Sign-in failed.</source>
        <translation>登录失败。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="328" />
        <source>Signing in…</source>
        <translation>正在登录…</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="342" />
        <source>Fill in the username, e-mail address and password.</source>
        <translation>请填写用户名、电子邮件地址和密码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="361" />
        <source>Type the code that was sent to {where}.</source>
        <translation>请输入发送到 {where} 的验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="362" />
        <location filename="../../ui/signin_dialog.py" line="397" />
        <location filename="../../ui/signin_dialog.py" line="424" />
        <source>your e-mail address</source>
        <translation>你的电子邮件地址</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="371" />
        <location filename="../../ui/signin_dialog.py" line="472" />
        <source>Type the code.</source>
        <translation>请输入验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="385" />
        <source>Your account is confirmed. Sign in with it.</source>
        <translation>你的账户已确认。请用它登录。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="396" />
        <location filename="../../ui/signin_dialog.py" line="427" />
        <source>A new code was sent to {where}.</source>
        <translation>新的验证码已发送到 {where}。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="415" />
        <source>Enter your username.</source>
        <translation>请输入你的用户名。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="430" />
        <source>Type the code that was sent to {where}, and choose a new password.</source>
        <translation>请输入发送到 {where} 的验证码，并设置新密码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="442" />
        <source>Type the code and the new password.</source>
        <translation>请输入验证码和新密码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="459" />
        <source>Type the new password twice.</source>
        <translation>请将新密码输入两次。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="462" />
        <source>The two passwords are not the same.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="475" />
        <source>Verifying…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="496" />
        <source>Opening the sign-in page in your browser…</source>
        <translation>正在浏览器中打开登录页面…</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="514" />
        <source>If the browser did not open, copy this address into it.</source>
        <translation>如果浏览器没有打开，请将此地址复制到浏览器中。</translation>
    </message>
</context>
<context>
    <name>StepPage</name>
    <message>
        <location filename="../../ui/account_dialogs.py" line="152" />
        <source>That code is not right. Check it (the newest one, if several were sent) and type it again.</source>
        <translation>验证码不正确。请检查（如果收到多个，请用最新的一个）后重新输入。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="154" />
        <source>That code has expired or was already used. Click “Send again” for a new one.</source>
        <translation>验证码已过期或已被使用。请点击“重新发送”获取新的验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="156" />
        <source>There is already an account with that username. Sign in with it, reset its password, or choose another username.</source>
        <translation>该用户名已有账户。请用它登录、重设其密码，或换一个用户名。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="158" />
        <source>Too many attempts. Wait a few minutes, then try again.</source>
        <translation>尝试次数过多。请等几分钟后再试。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="159" />
        <source>The username or password is wrong. Check both and try again (passwords are case-sensitive).</source>
        <translation>用户名或密码错误。请检查后重试（密码区分大小写）。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="161" />
        <source>There is no account with that username.</source>
        <translation>没有使用该用户名的账户。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="162" />
        <source>That is not an e-mail address.</source>
        <translation>这不是有效的电子邮件地址。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="163" />
        <source>That e-mail address belongs to another account.</source>
        <translation>该电子邮件地址已属于另一个账户。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="164" />
        <source>This sign-in step has expired. Sign in again from the start.</source>
        <translation>此登录步骤已过期。请从头重新登录。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="166" />
        <source>The browser did not come back to ecan. Finish signing in in the browser, or try again.</source>
        <translation>浏览器没有返回 ecan。请在浏览器中完成登录，或重试。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="168" />
        <source>This account is not confirmed yet: type the code that was e-mailed to you.</source>
        <translation>此账户尚未确认：请输入通过电子邮件发送给你的验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="172" />
        <source>That code is not right. Check the time on your phone and type the code the app shows now.</source>
        <translation>验证码不正确。请检查手机上的时间，并输入应用当前显示的验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="177" />
        <source>Port {port} on this computer, where the browser comes back to ecan, is used by another program. Close it, or set COGNITO.CALLBACK_PORT (or ECAN_CALLBACK_PORT) to a free port and add http://localhost:&lt;port&gt;/callback to the app client's callback URLs.</source>
        <translation>本机端口 {port}（浏览器登录后返回 ecan 的地址）已被其他程序占用。请关闭该程序，或将 COGNITO.CALLBACK_PORT（或 ECAN_CALLBACK_PORT）设为空闲端口，并把 http://localhost:&lt;端口&gt;/callback 加入应用客户端的回调 URL。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="182" />
        <source>The password is not accepted: {rule}.</source>
        <translation>密码不符合要求：{rule}。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="187" />
        <source>Something went wrong.</source>
        <translation>出了点问题。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="193" />
        <source>it is not long enough</source>
        <translation>长度不够</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="194" />
        <source>it needs an upper-case letter</source>
        <translation>需要包含大写字母</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="195" />
        <source>it needs a lower-case letter</source>
        <translation>需要包含小写字母</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="196" />
        <source>it needs a number</source>
        <translation>需要包含数字</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="197" />
        <source>it needs a symbol</source>
        <translation>需要包含符号</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="202" />
        <source>it breaks the pool's rules</source>
        <translation>不符合用户池的规则</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="205" />
        <source>Passwords need at least 8 characters, with upper- and lower-case letters and a number (ecan's cloud set-up asks for that; your organisation's may ask for more).</source>
        <translation>密码至少 8 个字符，需包含大写字母、小写字母和数字（ecan 的云端设置如此要求；你所在组织的设置可能要求更多）。</translation>
    </message>
</context>
<context>
    <name>SyncMonitor</name>
    <message>
        <location filename="../../ui/sync_monitor.py" line="114" />
        <source>Your session has expired. Sign in again to resume syncing.</source>
        <translation>登录已过期。请重新登录以继续同步。</translation>
    </message>
    <message>
        <location filename="../../ui/sync_monitor.py" line="119" />
        <source>Avatars that could not be synced: {n}. Open ecan to see why and retry.</source>
        <translation>有 {n} 个头像未能同步。打开 ecan 查看原因并重试。</translation>
    </message>
</context>
<context>
    <name>TotpSetupDialog</name>
    <message>
        <location filename="../../ui/account_dialogs.py" line="262" />
        <source>Set up an authenticator app</source>
        <translation>设置身份验证器应用</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="267" />
        <source>Scan this QR code with an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password…). Then type the 6-digit code the app shows.</source>
        <translation>用身份验证器应用（Google Authenticator、Microsoft Authenticator、1Password 等）扫描此二维码，然后输入应用显示的 6 位验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="272" />
        <source>&amp;Code from the app</source>
        <translation>应用中的验证码(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="273" />
        <source>Turn on</source>
        <translation>开启</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="275" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="283" />
        <source>Asking the sign-in service for a new key…</source>
        <translation>正在向登录服务申请新密钥…</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="297" />
        <source>Type the 6-digit code the app shows.</source>
        <translation>请输入应用显示的 6 位验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="309" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="310" />
        <source>The authenticator app is set up. From now on, signing in asks for a code from it.</source>
        <translation>身份验证器应用已设置好。今后登录时会要求输入它显示的验证码。</translation>
    </message>
</context>
<context>
    <name>TotpView</name>
    <message>
        <location filename="../../ui/account_dialogs.py" line="233" />
        <source>QR code for your authenticator app</source>
        <translation>身份验证器应用的二维码</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="235" />
        <source>Or type this key into the app:</source>
        <translation>或者在应用中输入此密钥：</translation>
    </message>
</context>
<context>
    <name>WrappedLabel</name>
    <message>
        <location filename="../../ui/details.py" line="466" />
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="468" />
        <source>Copy all</source>
        <translation>全部复制</translation>
    </message>
</context>
</TS>