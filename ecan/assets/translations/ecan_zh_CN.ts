<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>AccountSwitcher</name>
    <message>
        <location filename="../../ui/account_dialogs.py" line="365" />
        <source>Switch to {name}…</source>
        <translation>切换到 {name}…</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="366" />
        <source>Sign in as {name}…</source>
        <translation>以 {name} 的身份登录…</translation>
    </message>
</context>
<context>
    <name>ActivityDialog</name>
    <message>
        <location filename="../../ui/activity_dialog.py" line="74" />
        <source>Activity</source>
        <translation>动态</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="76" />
        <source>Recent changes on this computer and your other computers, newest first.</source>
        <translation>本机和你的其他电脑上最近的更改，最新的在前。</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="78" />
        <source>Nothing yet. Changes you make here and on your other computers appear here.</source>
        <translation>暂无动态。你在本机和其他电脑上所做的更改会显示在这里。</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="79" />
        <source>Change</source>
        <translation>更改</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="79" />
        <source>Computer</source>
        <translation>电脑</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="79" />
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="80" />
        <source>Recent changes</source>
        <translation>最近的更改</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="81" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="116" />
        <source>Added “{name}”</source>
        <translation>添加了“{name}”</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="118" />
        <source>Edited “{name}”</source>
        <translation>编辑了“{name}”</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="120" />
        <source>Renamed “{before}” to “{name}”</source>
        <translation>将“{before}”重命名为“{name}”</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="122" />
        <source>Deleted “{name}”</source>
        <translation>删除了“{name}”</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="124" />
        <source>Brought back “{name}” from the trash</source>
        <translation>从回收站恢复了“{name}”</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="126" />
        <source>Saved agent “{name}”</source>
        <translation>保存了智能体“{name}”</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="128" />
        <source>Deleted agent “{name}”</source>
        <translation>删除了智能体“{name}”</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="133" />
        <source>Upload of “{name}” failed: {message}</source>
        <translation>“{name}”上传失败：{message}</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="136" />
        <source>Getting changes from the cloud failed: {message}</source>
        <translation>从云端获取更改失败：{message}</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="139" />
        <source>Note: {message}</source>
        <translation>注意：{message}</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="142" />
        <source>Fix: {hint}</source>
        <translation>解决方法：{hint}</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="146" />
        <source>This computer</source>
        <translation>本机</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialog.py" line="147" />
        <source>Another computer</source>
        <translation>另一台电脑</translation>
    </message>
</context>
<context>
    <name>AgentsPage</name>
    <message>
        <location filename="../../ui/agents_page.py" line="153" />
        <location filename="../../ui/agents_page.py" line="154" />
        <source>Agents</source>
        <translation>智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="155" />
        <location filename="../../ui/agents_page.py" line="156" />
        <location filename="../../ui/agents_page.py" line="158" />
        <location filename="../../ui/agents_page.py" line="255" />
        <source>New agent</source>
        <translation>新建智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="157" />
        <location filename="../../ui/agents_page.py" line="321" />
        <location filename="../../ui/agents_page.py" line="386" />
        <source>Edit agent</source>
        <translation>编辑智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="159" />
        <source>&amp;Name</source>
        <translation>名称(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="160" />
        <source>Agent name</source>
        <translation>智能体名称</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="161" />
        <source>e.g. Support assistant</source>
        <translation>例如：客服助手</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="162" />
        <source>&amp;Description</source>
        <translation>描述(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="163" />
        <source>Agent description</source>
        <translation>智能体描述</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="164" />
        <source>What this agent does (optional)</source>
        <translation>这个智能体做什么（可选）</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="165" />
        <source>Avatar</source>
        <translation>头像</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="166" />
        <source>Choose the agent's avatar</source>
        <translation>选择智能体的头像</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="167" />
        <source>Show avatars of kind</source>
        <translation>按类型显示头像</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="171" />
        <source>All avatars</source>
        <translation>全部头像</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="171" />
        <source>Built-in</source>
        <translation>内置</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="172" />
        <source>Uploaded</source>
        <translation>已上传</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="172" />
        <source>Generated</source>
        <translation>AI 生成</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="175" />
        <location filename="../../ui/agents_page.py" line="176" />
        <location filename="../../ui/agents_page.py" line="404" />
        <source>Delete agent</source>
        <translation>删除智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="177" />
        <location filename="../../ui/agents_page.py" line="178" />
        <source>Save agent</source>
        <translation>保存智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="290" />
        <source>the new agent</source>
        <translation>新智能体</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="291" />
        <source>Unsaved changes</source>
        <translation>未保存的更改</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="292" />
        <source>Save your changes to “{name}”?</source>
        <translation>保存对“{name}”的更改吗？</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="293" />
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="294" />
        <source>Discard</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="295" />
        <location filename="../../ui/agents_page.py" line="407" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="297" />
        <source>If you don't save, your changes to this agent are lost.</source>
        <translation>如果不保存，对这个智能体的更改将会丢失。</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="362" />
        <source>Give the agent a name.</source>
        <translation>请为智能体命名。</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="388" />
        <source>Agent “{name}” saved.</source>
        <translation>智能体“{name}”已保存。</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="405" />
        <source>Delete the agent “{name}”?</source>
        <translation>删除智能体“{name}”吗？</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="406" />
        <source>Its avatar stays in your library.</source>
        <translation>它的头像会保留在您的头像库中。</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="407" />
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../ui/agents_page.py" line="414" />
        <source>Agent “{name}” deleted.</source>
        <translation>智能体“{name}”已删除。</translation>
    </message>
</context>
<context>
    <name>AvatarListModel</name>
    <message>
        <location filename="../../ui/gallery_model.py" line="392" />
        <source>video, {length}</source>
        <translation>视频，{length}</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="392" />
        <source>video</source>
        <translation>视频</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="396" />
        <source>On this computer only</source>
        <translation>仅在本机</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="397" />
        <source>Waiting to sync</source>
        <translation>等待同步</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="398" />
        <source>Syncing</source>
        <translation>正在同步</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="399" />
        <source>Synced</source>
        <translation>已同步</translation>
    </message>
    <message>
        <location filename="../../ui/gallery_model.py" line="400" />
        <source>Sync failed</source>
        <translation>同步失败</translation>
    </message>
</context>
<context>
    <name>AvatarsPage</name>
    <message>
        <location filename="../../ui/avatars_page.py" line="168" />
        <source>Search by name, tag or description</source>
        <translation>按名称、标签或描述搜索</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="169" />
        <source>Search avatars</source>
        <translation>搜索头像</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="170" />
        <source>Avatar gallery</source>
        <translation>头像库</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="171" />
        <source>Show avatars by sync state</source>
        <translation>按同步状态显示头像</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="175" />
        <source>My avatars</source>
        <translation>我的头像</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="175" />
        <source>All, with built-in</source>
        <translation>全部（含内置）</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="176" />
        <source>Built-in avatars</source>
        <translation>内置头像</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="176" />
        <source>Failed to sync</source>
        <translation>同步失败的</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="177" />
        <source>Not synced yet</source>
        <translation>尚未同步的</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="177" />
        <source>Synced</source>
        <translation>已同步</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="180" />
        <source>Import pictures…</source>
        <translation>导入图片…</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="181" />
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
        <location filename="../../ui/avatars_page.py" line="284" />
        <source>The library could not be read</source>
        <translation>无法读取头像库</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="364" />
        <location filename="../../ui/avatars_page.py" line="386" />
        <source>Loading your library…</source>
        <translation>正在载入头像库…</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="369" />
        <source>{shown} of %n avatar(s)</source>
        <translation>
            <numerusform>显示 {shown} / %n 个头像</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="370" />
        <source>%n avatar(s)</source>
        <translation>
            <numerusform>%n 个头像</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/avatars_page.py" line="376" />
        <source>%n built-in avatar(s) are ready to use: choose “Built-in avatars” above to see them.</source>
        <translation>
            <numerusform>另有 %n 个内置头像可直接使用：在上方选择“内置头像”即可查看。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="372" />
        <source>Your avatar library is empty</source>
        <translation>头像库还是空的</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="374" />
        <source>Drop pictures here or click Import. You can also paste an image with Ctrl+V.</source>
        <translation>把图片拖到这里，或点击“导入”。也可以用 Ctrl+V 粘贴图片。</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="391" />
        <source>No avatars match</source>
        <translation>没有匹配的头像</translation>
    </message>
    <message>
        <location filename="../../ui/avatars_page.py" line="392" />
        <source>Try another search, or show all avatars.</source>
        <translation>换个关键词试试，或显示全部头像。</translation>
    </message>
</context>
<context>
    <name>BugReporter</name>
    <message>
        <location filename="../../ui/bug_dialog.py" line="44" />
        <location filename="../../ui/bug_dialog.py" line="48" />
        <source>ecan hit a problem</source>
        <translation>ecan 遇到了问题</translation>
    </message>
    <message>
        <location filename="../../ui/bug_dialog.py" line="49" />
        <source>Something went wrong ({kind}). Your library is safe; you can keep working.</source>
        <translation>出现了错误（{kind}）。您的头像库安然无恙，可以继续使用。</translation>
    </message>
    <message>
        <location filename="../../ui/bug_dialog.py" line="51" />
        <source>Details were written to the log: {path}</source>
        <translation>详细信息已写入日志：{path}</translation>
    </message>
    <message>
        <location filename="../../ui/bug_dialog.py" line="52" />
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
        <location filename="../../ui/details.py" line="231" />
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="231" />
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="232" />
        <source>Dimensions</source>
        <translation>尺寸</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="232" />
        <source>File size</source>
        <translation>文件大小</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="233" />
        <source>Length</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="234" />
        <source>Sync</source>
        <translation>同步</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="234" />
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="235" />
        <source>Cloud key</source>
        <translation>云端键名</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="238" />
        <location filename="../../ui/details.py" line="239" />
        <source>Copy public link</source>
        <translation>复制公开链接</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="240" />
        <source>Copy the avatar's public (CDN) link</source>
        <translation>复制头像的公开（CDN）链接</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="241" />
        <location filename="../../ui/details.py" line="242" />
        <source>Copy private link</source>
        <translation>复制私有链接</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="243" />
        <source>Copy a time-limited link to the original</source>
        <translation>复制原图的限时链接</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="244" />
        <source>Works for 1 hour</source>
        <translation>有效期 1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="244" />
        <source>Works for 1 day</source>
        <translation>有效期 1 天</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="245" />
        <source>Works for 7 days</source>
        <translation>有效期 7 天</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="248" />
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="249" />
        <source>Play video</source>
        <translation>播放视频</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="250" />
        <source>Open the video in your video player</source>
        <translation>用你的视频播放器打开这段视频</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="251" />
        <source>Save a copy…</source>
        <translation>另存副本…</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="252" />
        <source>Save a copy of the original picture</source>
        <translation>将原图另存一份副本</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="253" />
        <source>Save video…</source>
        <translation>保存视频…</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="254" />
        <source>Save a copy of the video</source>
        <translation>将视频另存一份副本</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="255" />
        <source>Copy picture</source>
        <translation>复制图片</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="256" />
        <source>Copy the picture to the clipboard</source>
        <translation>将图片复制到剪贴板</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="257" />
        <source>Show in file manager</source>
        <translation>在文件管理器中显示</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="258" />
        <source>Show the avatar's file in your file manager</source>
        <translation>在文件管理器中显示此头像的文件</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="259" />
        <location filename="../../ui/details.py" line="260" />
        <source>Retry sync</source>
        <translation>重试同步</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="261" />
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="262" />
        <source>Delete avatar</source>
        <translation>删除头像</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="263" />
        <source>Select an avatar to see its details.</source>
        <translation>选择一个头像以查看详细信息。</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="264" />
        <source>&amp;Name</source>
        <translation>名称(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="264" />
        <source>&amp;Tags</source>
        <translation>标签(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="265" />
        <source>D&amp;escription</source>
        <translation>描述(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="267" />
        <source>Avatar name</source>
        <translation>头像名称</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="268" />
        <source>Avatar tags</source>
        <translation>头像标签</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="269" />
        <source>e.g. friendly, blue</source>
        <translation>例如：友好, 蓝色</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="270" />
        <source>Avatar description</source>
        <translation>头像描述</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="271" />
        <source>What this avatar is for (optional)</source>
        <translation>这个头像的用途（可选）</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="272" />
        <source>Save changes</source>
        <translation>保存更改</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="301" />
        <source>Built-in</source>
        <translation>内置</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="301" />
        <source>Uploaded</source>
        <translation>已上传</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="302" />
        <source>Generated</source>
        <translation>AI 生成</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="303" />
        <source>On this computer only</source>
        <translation>仅在本机</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="303" />
        <source>Waiting to sync</source>
        <translation>等待同步</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="304" />
        <source>Syncing</source>
        <translation>正在同步</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="304" />
        <source>Synced</source>
        <translation>已同步</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="305" />
        <source>Sync failed</source>
        <translation>同步失败</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="312" />
        <source>{format} video</source>
        <translation>{format} 视频</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="325" />
        <source>not in the cloud yet</source>
        <translation>尚未上传到云端</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="403" />
        <source>No video player is set up to open {name}.</source>
        <translation>没有可以打开 {name} 的视频播放器。</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="451" />
        <source>Changes saved.</source>
        <translation>更改已保存。</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="464" />
        <source>Private link copied: it works until {when}.</source>
        <translation>私密链接已复制：有效期至 {when}。</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="471" />
        <source>Link copied to the clipboard.</source>
        <translation>链接已复制到剪贴板。</translation>
    </message>
</context>
<context>
    <name>ExportActions</name>
    <message>
        <location filename="../../ui/export.py" line="58" />
        <source>Save video</source>
        <translation>保存视频</translation>
    </message>
    <message>
        <location filename="../../ui/export.py" line="58" />
        <source>Save a copy</source>
        <translation>另存副本</translation>
    </message>
    <message>
        <location filename="../../ui/export.py" line="59" />
        <source>Video</source>
        <translation>视频</translation>
    </message>
    <message>
        <location filename="../../ui/export.py" line="59" />
        <source>Picture</source>
        <translation>图片</translation>
    </message>
    <message>
        <location filename="../../ui/export.py" line="73" />
        <source>Save copies to folder</source>
        <translation>将副本保存到文件夹</translation>
    </message>
    <message>
        <location filename="../../ui/export.py" line="85" />
        <source>Saved '{name}' to {folder}.</source>
        <translation>已将“{name}”保存到 {folder}。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/export.py" line="88" />
        <source>Saved %n copies to {folder}.</source>
        <translation>
            <numerusform>已将 %n 个副本保存到 {folder}。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/export.py" line="92" />
        <source>%n could not be saved:</source>
        <translation>
            <numerusform>%n 个无法保存：</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/export.py" line="117" />
        <source>No file manager could open {folder}.</source>
        <translation>没有文件管理器能打开 {folder}。</translation>
    </message>
    <message>
        <location filename="../../ui/export.py" line="131" />
        <source>'{name}' could not be read to copy it.</source>
        <translation>无法读取“{name}”，未能复制。</translation>
    </message>
    <message>
        <location filename="../../ui/export.py" line="138" />
        <source>Copied '{name}' to the clipboard.</source>
        <translation>已将“{name}”复制到剪贴板。</translation>
    </message>
</context>
<context>
    <name>GenerateDialog</name>
    <message>
        <location filename="../../ui/generate_dialog.py" line="332" />
        <source>Generate an AI avatar</source>
        <translation>生成 AI 头像</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="333" />
        <location filename="../../ui/generate_dialog.py" line="361" />
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="334" />
        <source>History</source>
        <translation>历史记录</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="335" />
        <source>Start from</source>
        <translation>从这里开始</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="336" />
        <source>A photo file</source>
        <translation>照片文件</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="337" />
        <source>An avatar in my library</source>
        <translation>头像库中的头像</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="338" />
        <source>Photo file</source>
        <translation>照片文件</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="339" />
        <source>Choose a photo…</source>
        <translation>选择照片…</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="340" />
        <source>Avatar to start from</source>
        <translation>作为起点的头像</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="341" />
        <location filename="../../ui/generate_dialog.py" line="342" />
        <source>Your request</source>
        <translation>您的要求</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="344" />
        <source>e.g. Dress this person in a doctor's white coat, in a hospital</source>
        <translation>例如：让这个人穿上医生的白大褂，背景是医院</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="345" />
        <location filename="../../ui/generate_dialog.py" line="349" />
        <location filename="../../ui/generate_dialog.py" line="372" />
        <source>Style</source>
        <translation>风格</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="346" />
        <source>No style</source>
        <translation>无风格</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="350" />
        <location filename="../../ui/generate_dialog.py" line="351" />
        <source>Candidates</source>
        <translation>候选数量</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="353" />
        <source>How many pictures to draw in one run (each costs one image credit)</source>
        <translation>一次绘制几张图片（每张消耗一张图片额度）</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="354" />
        <source>Before</source>
        <translation>之前</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="355" />
        <source>After</source>
        <translation>之后</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="357" />
        <source>Candidate {n}</source>
        <translation>候选 {n}</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="359" />
        <source>Use this prompt</source>
        <translation>使用此提示</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="360" />
        <source>Run again</source>
        <translation>再次运行</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="362" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="363" />
        <location filename="../../ui/generate_dialog.py" line="364" />
        <source>Refined prompt</source>
        <translation>优化后的提示词</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="365" />
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="367" />
        <source>Keep</source>
        <translation>保留</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="367" />
        <source>Keep chosen</source>
        <translation>保留所选</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="368" />
        <source>Discard</source>
        <translation>丢弃</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="368" />
        <source>Discard all</source>
        <translation>全部丢弃</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="369" />
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="370" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="371" />
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="371" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="372" />
        <source>Request</source>
        <translation>要求</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="373" />
        <source>Time</source>
        <translation>用时</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="373" />
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="379" />
        <source>Flat illustration</source>
        <translation>扁平插画</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="379" />
        <source>3D clay</source>
        <translation>3D 黏土</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="380" />
        <source>Pixel art</source>
        <translation>像素画</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="380" />
        <source>Watercolour</source>
        <translation>水彩</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="381" />
        <source>Anime</source>
        <translation>动漫</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="393" />
        <source>Choose a photo</source>
        <translation>选择照片</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="394" />
        <source>Images (*.png *.jpg *.jpeg *.webp *.gif)</source>
        <translation>图片 (*.png *.jpg *.jpeg *.webp *.gif)</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="425" />
        <source>Pick an avatar first.</source>
        <translation>请先选择一个头像。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="430" />
        <source>Pick a photo file first.</source>
        <translation>请先选择一张照片。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="434" />
        <source>Write what the avatar should look like.</source>
        <translation>请写下头像应该是什么样子。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/generate_dialog.py" line="444" />
        <source>Analysing the photo and drawing %n candidates… this can take a minute or two.</source>
        <translation>
            <numerusform>正在分析照片并绘制 %n 张候选图片……可能需要一两分钟。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="448" />
        <source>Analysing the photo and drawing the avatar… this can take a minute.</source>
        <translation>正在分析照片并绘制头像……可能需要一分钟。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="456" />
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="487" />
        <source>Done: choose the candidates to keep, then “Keep chosen”.</source>
        <translation>完成：请选择要保留的候选图片，然后点击“保留所选”。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="489" />
        <source>Done: the avatar is in your library.</source>
        <translation>完成：头像已加入您的头像库。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="525" />
        <source>Analyse {a} s · generate {g} s · total {t} s</source>
        <translation>分析 {a} 秒 · 生成 {g} 秒 · 共 {t} 秒</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="557" />
        <source>Choose at least one candidate, or “Discard all”.</source>
        <translation>请至少选择一张候选图片，或点击“全部丢弃”。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="564" />
        <source>Kept: the avatar stays in your library.</source>
        <translation>已保留：头像保留在您的头像库中。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/generate_dialog.py" line="577" />
        <source>Kept %n avatar(s); the others were discarded.</source>
        <translation>
            <numerusform>已保留 %n 个头像；其余已丢弃。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="610" />
        <source>Discarded.</source>
        <translation>已丢弃。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="631" />
        <source>succeeded</source>
        <translation>成功</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="631" />
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="632" />
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="636" />
        <source>running</source>
        <translation>进行中</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="638" />
        <source>another computer</source>
        <translation>另一台电脑</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="679" />
        <source>Pick a task in the list first.</source>
        <translation>请先在列表中选择一个任务。</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="692" />
        <source>The photo of this task is on another computer: choose one here.</source>
        <translation>该任务的照片在另一台电脑上：请在这里选择一张照片。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/generate_dialog.py" line="702" />
        <source>%n task(s) · {rate} succeeded · analyse {a} s, generate {g} s on average · {credits} images used</source>
        <translation>
            <numerusform>%n 个任务 · 成功率 {rate} · 平均分析 {a} 秒、生成 {g} 秒 · 已用 {credits} 张图片额度</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="707" />
        <source>No budget limit</source>
        <translation>不限额度</translation>
    </message>
    <message>
        <location filename="../../ui/generate_dialog.py" line="709" />
        <source>Budget: {left} of {budget} images left</source>
        <translation>额度：剩余 {left} / {budget} 张图片</translation>
    </message>
</context>
<context>
    <name>ImportSummaryDialog</name>
    <message>
        <location filename="../../ui/import_flow.py" line="182" />
        <source>Import finished</source>
        <translation>导入完成</translation>
    </message>
    <message>
        <location filename="../../ui/import_flow.py" line="186" />
        <source>Added {ok} of {total} files. {refused} could not be imported:</source>
        <translation>已添加 {ok} 个（共 {total} 个文件）。{refused} 个无法导入：</translation>
    </message>
    <message>
        <location filename="../../ui/import_flow.py" line="191" />
        <source>Refused files</source>
        <translation>未导入的文件</translation>
    </message>
    <message>
        <location filename="../../ui/import_flow.py" line="192" />
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <location filename="../../ui/import_flow.py" line="192" />
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <location filename="../../ui/import_flow.py" line="203" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
</context>
<context>
    <name>Launcher</name>
    <message>
        <location filename="../../ui/launcher.py" line="145" />
        <source>Starting the local demo cloud…</source>
        <translation>正在启动本地演示云…</translation>
    </message>
    <message>
        <location filename="../../ui/launcher.py" line="186" />
        <source>Demo cloud ready: signed in as the demo user. Your pictures sync to a local test cloud that is discarded when ecan closes.</source>
        <translation>演示云已就绪：已用演示用户登录。图片会同步到本地测试云，ecan 关闭后即被清除。</translation>
    </message>
    <message>
        <location filename="../../ui/launcher.py" line="203" />
        <source>Demo cloud</source>
        <translation>演示云</translation>
    </message>
    <message>
        <location filename="../../ui/launcher.py" line="204" />
        <source>The local demo cloud could not start: {message}
{hint}</source>
        <translation>本地演示云无法启动：{message}
{hint}</translation>
    </message>
    <message>
        <location filename="../../ui/launcher.py" line="223" />
        <source>ecan cannot start: {message}</source>
        <translation>ecan 无法启动：{message}</translation>
    </message>
</context>
<context>
    <name>LocalAvatarsOffer</name>
    <message>
        <location filename="../../ui/account_dialogs.py" line="403" />
        <source>Avatars used without an account</source>
        <translation>未登录时使用的头像</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/account_dialogs.py" line="404" />
        <source>This computer has %n avatar(s) you added without signing in. Move them into {account}'s library?</source>
        <translation>
            <numerusform>这台电脑上有 %n 个你在未登录时添加的头像。要把它们移到 {account} 的头像库吗？</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="406" />
        <source>Move them</source>
        <translation>移过去</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="407" />
        <source>Keep them apart</source>
        <translation>分开保留</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="408" />
        <source>Ask me later</source>
        <translation>以后再问</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="410" />
        <source>Moved avatars upload to this account's cloud storage. Kept apart, they stay on this computer, shown only when nobody is signed in.</source>
        <translation>移过去的头像会上传到此账户的云存储。分开保留的头像留在这台电脑上，只在无人登录时显示。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/account_dialogs.py" line="421" />
        <source>Moved %n avatar(s) into your account; they upload now.</source>
        <translation>
            <numerusform>已将 %n 个头像移到你的账户；现在开始上传。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="446" />
        <source>Avatars</source>
        <translation>头像</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="447" />
        <source>Agents</source>
        <translation>智能体</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="448" />
        <source>Screens</source>
        <translation>页面</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="450" />
        <source>&amp;Import…</source>
        <translation>导入(&amp;I)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="450" />
        <source>Import pictures from files</source>
        <translation>从文件导入图片</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="451" />
        <source>Import &amp;folder…</source>
        <translation>导入文件夹(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="452" />
        <source>Import every picture in a folder</source>
        <translation>导入文件夹中的所有图片</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="453" />
        <source>&amp;Paste picture</source>
        <translation>粘贴图片(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="454" />
        <source>Add the picture on the clipboard</source>
        <translation>添加剪贴板中的图片</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="455" />
        <source>&amp;Generate…</source>
        <translation>AI 生成(&amp;G)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="455" />
        <source>Make an avatar with AI</source>
        <translation>用 AI 生成头像</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="456" />
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="456" />
        <source>Storage, sync and language</source>
        <translation>存储、同步和语言</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="457" />
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="458" />
        <source>&amp;Delete</source>
        <translation>删除(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="411" />
        <source>Delete the selected avatars</source>
        <translation>删除所选头像</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="445" />
        <source>Avatar library</source>
        <translation>头像库</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="459" />
        <source>&amp;Retry failed</source>
        <translation>重试失败项(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="459" />
        <source>Try failed uploads again</source>
        <translation>重新上传失败的头像</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="460" />
        <source>&amp;Activity…</source>
        <translation>动态(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="461" />
        <source>Recent changes on this and your other computers</source>
        <translation>本机和其他电脑上最近的更改</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="462" />
        <source>&amp;Find</source>
        <translation>查找(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="463" />
        <source>&amp;Trash…</source>
        <translation>回收站(&amp;T)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="463" />
        <source>Deleted avatars, to bring back</source>
        <translation>已删除的头像，可以恢复</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="464" />
        <source>Set &amp;up sync…</source>
        <translation>设置同步(&amp;U)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="465" />
        <source>Choose where your avatars are kept in the cloud</source>
        <translation>选择头像在云端的存放位置</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="466" />
        <source>Sign &amp;in…</source>
        <translation>登录(&amp;I)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="467" />
        <source>Sign &amp;out</source>
        <translation>退出登录(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="468" />
        <source>Set up an &amp;authenticator app…</source>
        <translation>设置身份验证器应用(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="469" />
        <source>Open &amp;log folder</source>
        <translation>打开日志文件夹(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="470" />
        <source>&amp;About ecan</source>
        <translation>关于 ecan(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="482" />
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="483" />
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="484" />
        <source>S&amp;ync</source>
        <translation>同步(&amp;Y)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="485" />
        <source>&amp;Account</source>
        <translation>账户(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="486" />
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="487" />
        <source>Toolbar</source>
        <translation>工具栏</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="488" />
        <source>Sync progress</source>
        <translation>同步进度</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="489" />
        <source>Import progress</source>
        <translation>导入进度</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="490" />
        <source>Account</source>
        <translation>账户</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="504" />
        <source>Endpoint set by {name}</source>
        <translation>服务端点由 {name} 设置</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="507" />
        <source>{n} endpoints set by environment variables</source>
        <translation>{n} 个服务端点由环境变量设置</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="509" />
        <source>{name} sends requests to {url}</source>
        <translation>{name} 将请求发往 {url}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="543" />
        <source>Drop to import these files</source>
        <translation>松开鼠标即可导入这些文件</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="566" />
        <source>Importing…</source>
        <translation>正在导入…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="581" />
        <source>Import pictures</source>
        <translation>导入图片</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="582" />
        <source>Pictures and videos ({patterns})</source>
        <translation>图片和视频 ({patterns})</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="593" />
        <source>Import a folder of pictures</source>
        <translation>导入图片文件夹</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="618" />
        <source>There is no picture on the clipboard.</source>
        <translation>剪贴板中没有图片。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="627" />
        <source>Importing %v of %m</source>
        <translation>正在导入 %v / %m</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="631" />
        <source>Importing {done} of {total}…</source>
        <translation>正在导入 {done} / {total}…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="639" />
        <source>Nothing to import: no pictures were found there.</source>
        <translation>没有可导入的内容：那里没有找到图片。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="675" />
        <location filename="../../ui/main_window.py" line="682" />
        <source>Delete avatars</source>
        <translation>删除头像</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="683" />
        <source>Delete %n avatar(s)? They move to the trash on all your computers; Edit &gt; Trash… brings them back.</source>
        <translation>
            <numerusform>删除 %n 个头像？它们会移到你所有电脑上的回收站；可在“编辑 &gt; 回收站…”中恢复。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="695" />
        <source>Moved “{name}” to the trash. Edit &gt; Trash… brings it back.</source>
        <translation>已将“{name}”移到回收站。可在“编辑 &gt; 回收站…”中恢复。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="697" />
        <source>Moved %n avatar(s) to the trash. Edit &gt; Trash… brings them back.</source>
        <translation>
            <numerusform>已将 %n 个头像移到回收站。可在“编辑 &gt; 回收站…”中恢复。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="738" />
        <source>Save a copy…</source>
        <translation>另存副本…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="741" />
        <source>Save video…</source>
        <translation>保存视频…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="743" />
        <source>Copy picture</source>
        <translation>复制图片</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="745" />
        <source>Show in file manager</source>
        <translation>在文件管理器中显示</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="748" />
        <source>Save %n copies to folder…</source>
        <translation>
            <numerusform>将 %n 个副本保存到文件夹…</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="826" />
        <source>Restoring your library from the cloud…</source>
        <translation>正在从云端恢复你的头像库…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="845" />
        <source>Signed out. New avatars wait on this computer until you sign in.</source>
        <translation>已退出登录。新头像会保存在本机，登录后再同步。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="861" />
        <source>Settings saved. Syncing uses them now.</source>
        <translation>设置已保存，同步已按新设置进行。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="878" />
        <source>About ecan</source>
        <translation>关于 ecan</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="879" />
        <source>ecan {version}
Your avatar library for the AI agents you build: local first, synced to your own cloud storage.</source>
        <translation>ecan {version}
为您打造的 AI 智能体管理头像：本地优先，同步到您自己的云存储。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="904" />
        <source>Syncing stopped unexpectedly; it restarts by itself in {s} s. Nothing is lost: the queue is kept.</source>
        <translation>同步意外停止，将在 {s} 秒后自动重启。不会丢失任何内容：队列已保留。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="969" />
        <source>Signed in</source>
        <translation>已登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="970" />
        <source>Signed in as {user} (identity {identity})</source>
        <translation>已登录为 {user}（身份 {identity}）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="973" />
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="974" />
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="976" />
        <source>Cloud storage (no sign-in)</source>
        <translation>云存储（无需登录）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="977" />
        <source>Syncing with the configured storage keys</source>
        <translation>使用配置的存储密钥同步</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="979" />
        <source>Set up sync</source>
        <translation>设置同步</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="1043" />
        <source>Signed out · %n waiting</source>
        <translation>
            <numerusform>已退出登录 · %n 个待同步</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1044" />
        <location filename="../../ui/main_window.py" line="1080" />
        <source>Signed out</source>
        <translation>已退出登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1055" />
        <source>{n} synced</source>
        <translation>{n} 个已同步</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1078" />
        <source>Local only</source>
        <translation>仅本地</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="980" />
        <source>No cloud storage is set up (see Settings)</source>
        <translation>尚未设置云存储（见“设置”）</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="95" />
        <source>Paused until {time}</source>
        <translation>已暂停，{time} 恢复</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="97" />
        <source>Paused until tomorrow {time}</source>
        <translation>已暂停，明天 {time} 恢复</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="99" />
        <source>Paused until {date} {time}</source>
        <translation>已暂停，{date} {time} 恢复</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="471" />
        <source>Open ecan</source>
        <translation>打开 ecan</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="472" />
        <source>Pause for 1 &amp;hour</source>
        <translation>暂停 1 小时(&amp;H)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="473" />
        <source>Pause until &amp;tomorrow</source>
        <translation>暂停到明天(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="474" />
        <source>Pause syncing until 08:00 tomorrow</source>
        <translation>暂停同步，直到明天 08:00</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="476" />
        <source>Sync &amp;now</source>
        <translation>立即同步(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="645" />
        <source>Added {new}; {existing} already in the library.</source>
        <translation>已添加 {new} 个；{existing} 个已在头像库中。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="647" />
        <source>Nothing new: {existing} already in the library.</source>
        <translation>没有新增：{existing} 个已在头像库中。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="649" />
        <source>Added {new}.</source>
        <translation>已添加 {new} 个。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="651" />
        <source>{refused} could not be imported.</source>
        <translation>{refused} 个无法导入。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="679" />
        <source>%n of the selected avatars cannot be deleted and stay:</source>
        <translation>
            <numerusform>所选头像中有 %n 个不能删除，将保留：</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="685" />
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="685" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="772" />
        <source>Retrying %n upload(s).</source>
        <translation>
            <numerusform>正在重试 %n 个上传。</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/main_window.py" line="834" />
        <source>Restored %n avatar(s) from the cloud.</source>
        <translation>
            <numerusform>已从云端恢复 %n 个头像。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1041" />
        <source>Saved on this computer</source>
        <translation>已保存在本机</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1047" />
        <source>Syncing {done} of {total}</source>
        <translation>正在同步 {done} / {total}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1049" />
        <source>{rate}/s</source>
        <translation>{rate}/秒</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1051" />
        <source>{done} of {total}</source>
        <translation>{done} / {total}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1057" />
        <source>All {n} synced</source>
        <translation>{n} 个全部已同步</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1058" />
        <source>Nothing to sync</source>
        <translation>没有需要同步的内容</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1060" />
        <source>{n} failed</source>
        <translation>{n} 个失败</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1064" />
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1067" />
        <source>Synced {synced}, waiting {waiting}, failed {failed}, on this computer only {local}</source>
        <translation>已同步 {synced}，等待 {waiting}，失败 {failed}，仅本机 {local}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1076" />
        <source>Sign-in needed</source>
        <translation>需要登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1082" />
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1084" />
        <source>Offline — will retry</source>
        <translation>离线 — 稍后重试</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="475" />
        <location filename="../../ui/main_window.py" line="1088" />
        <source>&amp;Resume sync</source>
        <translation>继续同步(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="1088" />
        <source>&amp;Pause sync</source>
        <translation>暂停同步(&amp;P)</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../ui/settings_dialog.py" line="81" />
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="89" />
        <source>Cloud storage</source>
        <translation>云存储</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="92" />
        <source>None: keep avatars on this computer only</source>
        <translation>无：头像只保存在本机</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="93" />
        <source>A folder (another disk or a synced folder)</source>
        <translation>文件夹（其他磁盘或同步文件夹）</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="94" />
        <source>Amazon S3</source>
        <translation>Amazon S3</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="95" />
        <source>S3-compatible (Cloudflare R2, MinIO…)</source>
        <translation>S3 兼容（Cloudflare R2、MinIO…）</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="96" />
        <source>Storage backend</source>
        <translation>存储后端</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="98" />
        <source>Bucket</source>
        <translation>存储桶</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="101" />
        <source>Region</source>
        <translation>区域</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="104" />
        <source>Endpoint URL</source>
        <translation>端点 URL</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="106" />
        <source>Key prefix</source>
        <translation>键名前缀</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="109" />
        <source>CDN domain</source>
        <translation>CDN 域名</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="111" />
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="112" />
        <source>&amp;Browse…</source>
        <translation>浏览(&amp;B)…</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="122" />
        <source>Parallel uploads</source>
        <translation>并行上传数</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="125" />
        <source>Access key ID</source>
        <translation>访问密钥 ID</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="128" />
        <source>Secret access key</source>
        <translation>秘密访问密钥</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="130" />
        <location filename="../../ui/settings_dialog.py" line="175" />
        <source>Remove</source>
        <translation>移除</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="131" />
        <source>Remove the saved access keys</source>
        <translation>移除已保存的访问密钥</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="134" />
        <source>&amp;Storage</source>
        <translation>存储(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="135" />
        <source>&amp;Bucket</source>
        <translation>存储桶(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="136" />
        <source>&amp;Region</source>
        <translation>区域(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="137" />
        <source>&amp;Endpoint URL</source>
        <translation>端点 URL(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="138" />
        <source>F&amp;older</source>
        <translation>文件夹(&amp;O)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="139" />
        <source>Key &amp;prefix</source>
        <translation>键名前缀(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="140" />
        <source>&amp;CDN domain</source>
        <translation>CDN 域名(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="141" />
        <source>Parallel &amp;uploads</source>
        <translation>并行上传数(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="142" />
        <source>&amp;Access key ID</source>
        <translation>访问密钥 ID(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="143" />
        <source>Secret access &amp;key</source>
        <translation>秘密访问密钥(&amp;K)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="162" />
        <source>Keys typed here are kept in the system keyring, never in a file. With a sign-in (an identity pool), none are needed.</source>
        <translation>在这里输入的密钥保存在系统钥匙串中，绝不写入文件。使用登录（身份池）时无需任何密钥。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="169" />
        <source>Image generation</source>
        <translation>图像生成</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="173" />
        <source>Gemini API key</source>
        <translation>Gemini API 密钥</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="176" />
        <source>Remove the saved Gemini API key</source>
        <translation>移除已保存的 Gemini API 密钥</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="177" />
        <source>&amp;Gemini API key</source>
        <translation>Gemini API 密钥(&amp;G)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="189" />
        <source>General</source>
        <translation>常规</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="191" />
        <source>Start ecan when I log in</source>
        <translation>登录时启动 ecan</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="199" />
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="201" />
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="207" />
        <source>Empty: the system's proxy settings</source>
        <translation>留空：使用系统的代理设置</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="208" />
        <source>http://host:port, or http://user:password@host:port (the password is kept in the system keyring)</source>
        <translation>http://主机:端口，或 http://用户:密码@主机:端口（密码保存在系统钥匙串中）</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="210" />
        <source>Proxy</source>
        <translation>代理</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="211" />
        <source>Pro&amp;xy</source>
        <translation>代理(&amp;X)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="215" />
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="227" />
        <source>&amp;Test connection</source>
        <translation>测试连接(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="228" />
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="234" />
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="235" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="252" />
        <source>Sync</source>
        <translation>同步</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="257" />
        <source> KB/s</source>
        <translation> KB/秒</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="258" />
        <source>Unlimited</source>
        <translation>不限</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="261" />
        <source>Upload bandwidth limit</source>
        <translation>上传带宽限制</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="262" />
        <source>Upload &amp;limit</source>
        <translation>上传限速(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="267" />
        <source>Pause for 1 hour</source>
        <translation>暂停 1 小时</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="268" />
        <source>Pause until tomorrow</source>
        <translation>暂停到明天</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="269" />
        <source>Resume</source>
        <translation>恢复</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="284" />
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="293" />
        <source>Syncing</source>
        <translation>正在同步</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="297" />
        <source>Paused until you resume</source>
        <translation>已暂停，直到你恢复</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="316" />
        <source>Set by the environment variable {name}</source>
        <translation>由环境变量 {name} 设置</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="323" />
        <source>Set by the environment variable {name}: change it there.</source>
        <translation>由环境变量 {name} 设置：请在那里修改。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="353" />
        <source>Set in the config file {path}: change it there.</source>
        <translation>由配置文件 {path} 设置：请在那里修改。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="356" />
        <location filename="../../ui/settings_dialog.py" line="404" />
        <source>Kept in the system keyring, never written to a file.</source>
        <translation>保存在系统钥匙串中，绝不写入文件。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="397" />
        <source>Type a new one to replace it</source>
        <translation>输入新的即可替换</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="399" />
        <source>Saved in the system keyring.</source>
        <translation>已保存在系统钥匙串中。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="401" />
        <source>No system keyring here: what you type is kept only until ecan quits.</source>
        <translation>此电脑没有系统钥匙串：你输入的内容只保留到 ecan 退出为止。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="438" />
        <source>Choose the folder to sync to</source>
        <translation>选择要同步到的文件夹</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="505" />
        <source>No library is open.</source>
        <translation>没有打开的头像库。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="529" />
        <source>Start at login could not be changed.</source>
        <translation>无法更改登录时启动的设置。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="530" />
        <source>Check that your user can write there ({reason}).</source>
        <translation>请确认你的用户可以写入那里（{reason}）。</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="591" />
        <source>Testing the connection…</source>
        <translation>正在测试连接…</translation>
    </message>
    <message>
        <location filename="../../ui/settings_dialog.py" line="603" />
        <source>All {n} checks passed.</source>
        <translation>全部 {n} 项检查均通过。</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <location filename="../../ui/signin_dialog.py" line="50" />
        <location filename="../../ui/signin_dialog.py" line="213" />
        <source>Sign in to ecan</source>
        <translation>登录 ecan</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="86" />
        <source>Your session has expired. Sign in again to resume syncing; nothing waiting to upload has been lost.</source>
        <translation>登录已过期。请重新登录以继续同步；等待上传的内容都没有丢失。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="88" />
        <source>Sign in to sync your avatars to your cloud storage and find them on every computer you use.</source>
        <translation>登录后，头像会同步到您的云存储，在您使用的每台电脑上都能找到。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="92" />
        <source>Username</source>
        <translation>用户名</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="91" />
        <source>user name or email</source>
        <translation>用户名或邮箱</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="94" />
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="90" />
        <location filename="../../ui/signin_dialog.py" line="120" />
        <location filename="../../ui/signin_dialog.py" line="146" />
        <source>&amp;Username</source>
        <translation>用户名(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="79" />
        <source>Back</source>
        <translation>返回</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="93" />
        <location filename="../../ui/signin_dialog.py" line="122" />
        <source>&amp;Password</source>
        <translation>密码(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="96" />
        <source>Sign-in error</source>
        <translation>登录错误</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="97" />
        <location filename="../../ui/signin_dialog.py" line="124" />
        <source>Create account</source>
        <translation>创建账户</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="98" />
        <source>Forgot password?</source>
        <translation>忘记密码？</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="99" />
        <location filename="../../ui/signin_dialog.py" line="193" />
        <source>Sign in with browser</source>
        <translation>用浏览器登录</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="109" />
        <location filename="../../ui/signin_dialog.py" line="110" />
        <location filename="../../ui/signin_dialog.py" line="328" />
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="111" />
        <location filename="../../ui/signin_dialog.py" line="203" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="117" />
        <source>Create an ecan account</source>
        <translation>创建 ecan 账户</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="118" />
        <source>Create an ecan account. The sign-in service e-mails you a code to confirm it.</source>
        <translation>创建 ecan 账户。登录服务会通过电子邮件向你发送一个验证码来确认。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="121" />
        <source>&amp;E-mail</source>
        <translation>电子邮件(&amp;E)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="121" />
        <source>you@example.com</source>
        <translation>you@example.com</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="131" />
        <source>Confirm your account</source>
        <translation>确认你的账户</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="132" />
        <location filename="../../ui/signin_dialog.py" line="155" />
        <location filename="../../ui/signin_dialog.py" line="185" />
        <source>&amp;Code</source>
        <translation>验证码(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="133" />
        <source>Confirm</source>
        <translation>确认</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="135" />
        <location filename="../../ui/signin_dialog.py" line="160" />
        <source>Send again</source>
        <translation>重新发送</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="143" />
        <location filename="../../ui/signin_dialog.py" line="154" />
        <source>Reset your password</source>
        <translation>重设密码</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="144" />
        <source>Type your username: the sign-in service e-mails you a code to set a new password.</source>
        <translation>请输入你的用户名：登录服务会通过电子邮件向你发送一个验证码，用来设置新密码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="147" />
        <source>Send code</source>
        <translation>发送验证码</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="156" />
        <location filename="../../ui/signin_dialog.py" line="171" />
        <source>&amp;New password</source>
        <translation>新密码(&amp;N)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="158" />
        <location filename="../../ui/signin_dialog.py" line="174" />
        <source>Set password</source>
        <translation>设置密码</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="168" />
        <source>Choose a new password</source>
        <translation>设置新密码</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="169" />
        <source>Your account needs a new password before you can sign in. Choose one that only you know.</source>
        <translation>你的账户需要先设置新密码才能登录。请设置一个只有你知道的密码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="172" />
        <source>&amp;Repeat it</source>
        <translation>再输入一次(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="181" />
        <source>Two-step sign-in</source>
        <translation>两步登录</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="186" />
        <location filename="../../ui/signin_dialog.py" line="473" />
        <location filename="../../ui/signin_dialog.py" line="477" />
        <source>Verify</source>
        <translation>验证</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="194" />
        <source>Finish signing in in your browser. ecan waits here until the sign-in page sends you back.</source>
        <translation>请在浏览器中完成登录。ecan 会在这里等待，直到登录页面把你送回来。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="198" />
        <source>&amp;Address</source>
        <translation>地址(&amp;A)</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="200" />
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="234" />
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
        <location filename="../../ui/signin_dialog.py" line="356" />
        <source>Type the code that was sent to {where}.</source>
        <translation>请输入发送到 {where} 的验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="357" />
        <location filename="../../ui/signin_dialog.py" line="392" />
        <location filename="../../ui/signin_dialog.py" line="419" />
        <source>your e-mail address</source>
        <translation>你的电子邮件地址</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="366" />
        <location filename="../../ui/signin_dialog.py" line="465" />
        <source>Type the code.</source>
        <translation>请输入验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="380" />
        <source>Your account is confirmed. Sign in with it.</source>
        <translation>你的账户已确认。请用它登录。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="391" />
        <location filename="../../ui/signin_dialog.py" line="422" />
        <source>A new code was sent to {where}.</source>
        <translation>新的验证码已发送到 {where}。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="410" />
        <source>Enter your username.</source>
        <translation>请输入你的用户名。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="425" />
        <source>Type the code that was sent to {where}, and choose a new password.</source>
        <translation>请输入发送到 {where} 的验证码，并设置新密码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="437" />
        <source>Type the code and the new password.</source>
        <translation>请输入验证码和新密码。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="453" />
        <source>Type the new password twice.</source>
        <translation>请将新密码输入两次。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="456" />
        <source>The two passwords are not the same.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="468" />
        <source>Verifying…</source>
        <translation>正在验证…</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="489" />
        <source>Opening the sign-in page in your browser…</source>
        <translation>正在浏览器中打开登录页面…</translation>
    </message>
    <message>
        <location filename="../../ui/signin_dialog.py" line="505" />
        <source>If the browser did not open, copy this address into it.</source>
        <translation>如果浏览器没有打开，请将此地址复制到浏览器中。</translation>
    </message>
</context>
<context>
    <name>StepPage</name>
    <message>
        <location filename="../../ui/account_dialogs.py" line="154" />
        <source>That code is not right. Check it (the newest one, if several were sent) and type it again.</source>
        <translation>验证码不正确。请检查（如果收到多个，请用最新的一个）后重新输入。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="156" />
        <source>That code has expired or was already used. Click “Send again” for a new one.</source>
        <translation>验证码已过期或已被使用。请点击“重新发送”获取新的验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="158" />
        <source>There is already an account with that username. Sign in with it, reset its password, or choose another username.</source>
        <translation>该用户名已有账户。请用它登录、重设其密码，或换一个用户名。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="160" />
        <source>Too many attempts. Wait a few minutes, then try again.</source>
        <translation>尝试次数过多。请等几分钟后再试。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="161" />
        <source>The username or password is wrong. Check both and try again (passwords are case-sensitive).</source>
        <translation>用户名或密码错误。请检查后重试（密码区分大小写）。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="163" />
        <source>There is no account with that username.</source>
        <translation>没有使用该用户名的账户。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="164" />
        <source>That is not an e-mail address.</source>
        <translation>这不是有效的电子邮件地址。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="165" />
        <source>That e-mail address belongs to another account.</source>
        <translation>该电子邮件地址已属于另一个账户。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="166" />
        <source>This sign-in step has expired. Sign in again from the start.</source>
        <translation>此登录步骤已过期。请从头重新登录。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="168" />
        <source>The browser did not come back to ecan. Finish signing in in the browser, or try again.</source>
        <translation>浏览器没有返回 ecan。请在浏览器中完成登录，或重试。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="170" />
        <source>This account is not confirmed yet: type the code that was e-mailed to you.</source>
        <translation>此账户尚未确认：请输入通过电子邮件发送给你的验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="174" />
        <source>That code is not right. Check the time on your phone and type the code the app shows now.</source>
        <translation>验证码不正确。请检查手机上的时间，并输入应用当前显示的验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="179" />
        <source>Port {port} on this computer, where the browser comes back to ecan, is used by another program. Close it, or set COGNITO.CALLBACK_PORT (or ECAN_CALLBACK_PORT) to a free port and add http://localhost:&lt;port&gt;/callback to the app client's callback URLs.</source>
        <translation>本机端口 {port}（浏览器登录后返回 ecan 的地址）已被其他程序占用。请关闭该程序，或将 COGNITO.CALLBACK_PORT（或 ECAN_CALLBACK_PORT）设为空闲端口，并把 http://localhost:&lt;端口&gt;/callback 加入应用客户端的回调 URL。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="184" />
        <source>The password is not accepted: {rule}.</source>
        <translation>密码不符合要求：{rule}。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="189" />
        <source>Something went wrong.</source>
        <translation>出了点问题。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="195" />
        <source>it is not long enough</source>
        <translation>长度不够</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="196" />
        <source>it needs an upper-case letter</source>
        <translation>需要包含大写字母</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="197" />
        <source>it needs a lower-case letter</source>
        <translation>需要包含小写字母</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="198" />
        <source>it needs a number</source>
        <translation>需要包含数字</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="199" />
        <source>it needs a symbol</source>
        <translation>需要包含符号</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="204" />
        <source>it breaks the pool's rules</source>
        <translation>不符合用户池的规则</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="207" />
        <source>Passwords need at least 8 characters, with upper- and lower-case letters and a number (ecan's cloud set-up asks for that; your organisation's may ask for more).</source>
        <translation>密码至少 8 个字符，需包含大写字母、小写字母和数字（ecan 的云端设置如此要求；你所在组织的设置可能要求更多）。</translation>
    </message>
</context>
<context>
    <name>SyncMonitor</name>
    <message>
        <location filename="../../ui/sync_monitor.py" line="115" />
        <source>Your session has expired. Sign in again to resume syncing.</source>
        <translation>登录已过期。请重新登录以继续同步。</translation>
    </message>
    <message>
        <location filename="../../ui/sync_monitor.py" line="120" />
        <source>Avatars that could not be synced: {n}. Open ecan to see why and retry.</source>
        <translation>有 {n} 个头像未能同步。打开 ecan 查看原因并重试。</translation>
    </message>
</context>
<context>
    <name>TotpSetupDialog</name>
    <message>
        <location filename="../../ui/account_dialogs.py" line="264" />
        <source>Set up an authenticator app</source>
        <translation>设置身份验证器应用</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="269" />
        <source>Scan this QR code with an authenticator app (Google Authenticator, Microsoft Authenticator, 1Password…). Then type the 6-digit code the app shows.</source>
        <translation>用身份验证器应用（Google Authenticator、Microsoft Authenticator、1Password 等）扫描此二维码，然后输入应用显示的 6 位验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="274" />
        <source>&amp;Code from the app</source>
        <translation>应用中的验证码(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="275" />
        <source>Turn on</source>
        <translation>开启</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="277" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="285" />
        <source>Asking the sign-in service for a new key…</source>
        <translation>正在向登录服务申请新密钥…</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="299" />
        <source>Type the 6-digit code the app shows.</source>
        <translation>请输入应用显示的 6 位验证码。</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="310" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="311" />
        <source>The authenticator app is set up. From now on, signing in asks for a code from it.</source>
        <translation>身份验证器应用已设置好。今后登录时会要求输入它显示的验证码。</translation>
    </message>
</context>
<context>
    <name>TotpView</name>
    <message>
        <location filename="../../ui/account_dialogs.py" line="235" />
        <source>QR code for your authenticator app</source>
        <translation>身份验证器应用的二维码</translation>
    </message>
    <message>
        <location filename="../../ui/account_dialogs.py" line="237" />
        <source>Or type this key into the app:</source>
        <translation>或者在应用中输入此密钥：</translation>
    </message>
</context>
<context>
    <name>TrashDialog</name>
    <message>
        <location filename="../../ui/trash_dialog.py" line="100" />
        <source>Trash</source>
        <translation>回收站</translation>
    </message>
    <message>
        <location filename="../../ui/trash_dialog.py" line="103" />
        <source>Deleted avatars stay here for {days} days, then are deleted for good on all your computers. Restore brings them back everywhere.</source>
        <translation>删除的头像会在这里保留 {days} 天，之后会从你的所有电脑上彻底删除。恢复后，它们会在所有电脑上回来。</translation>
    </message>
    <message>
        <location filename="../../ui/trash_dialog.py" line="106" />
        <source>The trash is empty.
Avatars you delete stay here for {days} days, so you can bring them back.</source>
        <translation>回收站是空的。
你删除的头像会在这里保留 {days} 天，方便你恢复。</translation>
    </message>
    <message>
        <location filename="../../ui/trash_dialog.py" line="108" />
        <source>Avatar</source>
        <translation>头像</translation>
    </message>
    <message>
        <location filename="../../ui/trash_dialog.py" line="108" />
        <source>Deleted</source>
        <translation>删除时间</translation>
    </message>
    <message>
        <location filename="../../ui/trash_dialog.py" line="109" />
        <source>Deleted for good</source>
        <translation>彻底删除</translation>
    </message>
    <message>
        <location filename="../../ui/trash_dialog.py" line="110" />
        <source>Deleted avatars</source>
        <translation>已删除的头像</translation>
    </message>
    <message>
        <location filename="../../ui/trash_dialog.py" line="111" />
        <source>&amp;Restore</source>
        <translation>恢复(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../ui/trash_dialog.py" line="112" />
        <source>Bring the selected avatars back to the library</source>
        <translation>将所选头像恢复到头像库</translation>
    </message>
    <message>
        <location filename="../../ui/trash_dialog.py" line="113" />
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/trash_dialog.py" line="158" />
        <source>in %n day(s)</source>
        <translation>
            <numerusform>%n 天后</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../ui/trash_dialog.py" line="216" />
        <source>Restored “{name}”.</source>
        <translation>已恢复“{name}”。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../ui/trash_dialog.py" line="218" />
        <source>Restored %n avatar(s).</source>
        <translation>
            <numerusform>已恢复 %n 个头像。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>WrappedLabel</name>
    <message>
        <location filename="../../ui/details.py" line="504" />
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <location filename="../../ui/details.py" line="506" />
        <source>Copy all</source>
        <translation>全部复制</translation>
    </message>
</context>
<context>
    <name>Messages</name>
    <message>
        <source>'{duration}' is not a duration.</source>
        <translation>“{duration}” 不是有效的时长。</translation>
    </message>
    <message>
        <source>'{duration}' is not a pause ecan can take.</source>
        <translation>ecan 无法暂停 “{duration}” 这么久。</translation>
    </message>
    <message>
        <source>A link can last 1 second to 7 days, not {0} seconds.</source>
        <translation>链接的有效期可以是 1 秒到 7 天，不能是 {0} 秒。</translation>
    </message>
    <message>
        <source>Access denied to {0} ({1}).</source>
        <translation>无权访问 {0}（{1}）。</translation>
    </message>
    <message>
        <source>Agent {0} kept changing in the cloud while being saved.</source>
        <translation>保存时，智能体 {0} 在云端不断被更改。</translation>
    </message>
    <message>
        <source>An agent named {0} already exists.</source>
        <translation>已有名为 {0} 的智能体。</translation>
    </message>
    <message>
        <source>An agent needs a name.</source>
        <translation>智能体需要一个名称。</translation>
    </message>
    <message>
        <source>An avatar can carry {0} tags.</source>
        <translation>一个头像最多可以有 {0} 个标签。</translation>
    </message>
    <message>
        <source>An avatar needs a name.</source>
        <translation>头像需要一个名称。</translation>
    </message>
    <message>
        <source>Ask for 1 to {0} candidates, not {1}.</source>
        <translation>候选数量应为 1 到 {0}，不能是 {1}。</translation>
    </message>
    <message>
        <source>Ask for a new code and use it.</source>
        <translation>请重新获取验证码并使用它。</translation>
    </message>
    <message>
        <source>Ask the pool's administrator to turn MFA off for this user.</source>
        <translation>请让用户池管理员为此用户关闭多重验证（MFA）。</translation>
    </message>
    <message>
        <source>Avatar {0} is used by agent(s) {1}.</source>
        <translation>头像 {0} 正被智能体 {1} 使用。</translation>
    </message>
    <message>
        <source>Cannot reach the sign-in service at {0}.</source>
        <translation>无法连接位于 {0} 的登录服务。</translation>
    </message>
    <message>
        <source>Cannot reach the storage endpoint {0}.</source>
        <translation>无法连接存储端点 {0}。</translation>
    </message>
    <message>
        <source>Check AVATAR_CLOUD_ACCESS_KEY (or STORAGE.ACCESS_KEY), or sign in again; uploads stay queued meanwhile.</source>
        <translation>请检查 AVATAR_CLOUD_ACCESS_KEY（或 STORAGE.ACCESS_KEY），或重新登录；在此期间上传会保留在队列中。</translation>
    </message>
    <message>
        <source>Check AVATAR_CLOUD_SECRET_KEY (the secret key is wrong), and that this computer's clock is correct (`ecan doctor` checks both); uploads stay queued meanwhile.</source>
        <translation>请检查 AVATAR_CLOUD_SECRET_KEY（密钥有误）以及本机时钟是否准确（`ecan doctor` 会检查这两项）；在此期间上传会保留在队列中。</translation>
    </message>
    <message>
        <source>Check COGNITO.ENDPOINT_URL.</source>
        <translation>请检查 COGNITO.ENDPOINT_URL。</translation>
    </message>
    <message>
        <source>Check COGNITO.IDENTITY_POOL_ID and that the identity pool trusts user pool {0} (app client {1}).</source>
        <translation>请检查 COGNITO.IDENTITY_POOL_ID，并确认身份池信任用户池 {0}（应用客户端 {1}）。</translation>
    </message>
    <message>
        <source>Check COGNITO.USER_POOL_ID and COGNITO.ENDPOINT_URL.</source>
        <translation>请检查 COGNITO.USER_POOL_ID 和 COGNITO.ENDPOINT_URL。</translation>
    </message>
    <message>
        <source>Check COGNITO.USER_POOL_ID, COGNITO.CLIENT_ID and COGNITO.ENDPOINT_URL; then sign in again.</source>
        <translation>请检查 COGNITO.USER_POOL_ID、COGNITO.CLIENT_ID 和 COGNITO.ENDPOINT_URL，然后重新登录。</translation>
    </message>
    <message>
        <source>Check COGNITO.USER_POOL_ID.</source>
        <translation>请检查 COGNITO.USER_POOL_ID。</translation>
    </message>
    <message>
        <source>Check STORAGE.BUCKET / AVATAR_CLOUD_BUCKET (and STORAGE.ENDPOINT_URL / REGION).</source>
        <translation>请检查 STORAGE.BUCKET / AVATAR_CLOUD_BUCKET（以及 STORAGE.ENDPOINT_URL / REGION）。</translation>
    </message>
    <message>
        <source>Check STORAGE.LOCAL_PATH points to a folder you can write to.</source>
        <translation>请确认 STORAGE.LOCAL_PATH 指向一个你可以写入的文件夹。</translation>
    </message>
    <message>
        <source>Check both and try again (passwords are case-sensitive).</source>
        <translation>请检查两者后重试（密码区分大小写）。</translation>
    </message>
    <message>
        <source>Check that ECAN_HOME has free space and is writable, then import it again.</source>
        <translation>请确认 ECAN_HOME 有剩余空间且可写，然后重新导入。</translation>
    </message>
    <message>
        <source>Check that the app client allows {0} and REFRESH_TOKEN_AUTH, and the COGNITO settings.</source>
        <translation>请确认应用客户端允许 {0} 和 REFRESH_TOKEN_AUTH，并检查 COGNITO 设置。</translation>
    </message>
    <message>
        <source>Check the COGNITO settings; details are in the log.</source>
        <translation>请检查 COGNITO 设置；详情见日志。</translation>
    </message>
    <message>
        <source>Check the STORAGE settings; details are in the log.</source>
        <translation>请检查 STORAGE 设置；详情见日志。</translation>
    </message>
    <message>
        <source>Check the code (the newest one, if several were sent) and type it again.</source>
        <translation>请检查验证码（如果收到多个，请用最新的）并重新输入。</translation>
    </message>
    <message>
        <source>Check the disk and permissions; if the file is damaged, restore it from a backup or sign in on a fresh ECAN_HOME and run `ecan restore`.</source>
        <translation>请检查磁盘和权限；如果文件已损坏，请从备份恢复，或在新的 ECAN_HOME 中登录并运行 `ecan restore`。</translation>
    </message>
    <message>
        <source>Check the e-mail address (or phone number), then ask for a new code.</source>
        <translation>请检查电子邮件地址（或手机号码），然后重新获取验证码。</translation>
    </message>
    <message>
        <source>Check the file exists and is readable UTF-8 text.</source>
        <translation>请确认文件存在，并且是可读的 UTF-8 文本。</translation>
    </message>
    <message>
        <source>Check the file's permissions.</source>
        <translation>请检查文件的权限。</translation>
    </message>
    <message>
        <source>Check the folder and the disk, then export again.</source>
        <translation>请检查文件夹和磁盘，然后重新导出。</translation>
    </message>
    <message>
        <source>Check the path and the file's permissions.</source>
        <translation>请检查路径和文件的权限。</translation>
    </message>
    <message>
        <source>Check the path and try again.</source>
        <translation>请检查路径后重试。</translation>
    </message>
    <message>
        <source>Check the photo and the request; try a different wording.</source>
        <translation>请检查照片和描述；换一种说法试试。</translation>
    </message>
    <message>
        <source>Check the time on your phone and type the current code.</source>
        <translation>请检查手机上的时间，并输入当前的验证码。</translation>
    </message>
    <message>
        <source>Check the username, or ask for an account.</source>
        <translation>请检查用户名，或申请一个账户。</translation>
    </message>
    <message>
        <source>Check what you typed and try again.</source>
        <translation>请检查输入的内容后重试。</translation>
    </message>
    <message>
        <source>Check your network connection (and COGNITO.ENDPOINT_URL / COGNITO.REGION); ecan keeps your work queued and tries again.</source>
        <translation>请检查网络连接（以及 COGNITO.ENDPOINT_URL / COGNITO.REGION）；ecan 会把你的工作保留在队列中并重试。</translation>
    </message>
    <message>
        <source>Check your network connection and STORAGE.ENDPOINT_URL / AVATAR_CLOUD_ENDPOINT_URL; ecan keeps the uploads queued and retries.</source>
        <translation>请检查网络连接以及 STORAGE.ENDPOINT_URL / AVATAR_CLOUD_ENDPOINT_URL；ecan 会把上传保留在队列中并重试。</translation>
    </message>
    <message>
        <source>Check your network connection; ecan retries.</source>
        <translation>请检查网络连接；ecan 会重试。</translation>
    </message>
    <message>
        <source>Choose a folder you can write to.</source>
        <translation>请选择一个你可以写入的文件夹。</translation>
    </message>
    <message>
        <source>Choose a longer password with upper- and lower-case letters and numbers (and symbols, if the pool asks for them).</source>
        <translation>请选择更长的密码，包含大小写字母和数字（如果用户池要求，还需包含符号）。</translation>
    </message>
    <message>
        <source>Choose a new password.</source>
        <translation>请设置新密码。</translation>
    </message>
    <message>
        <source>Choose a number from 1 to {0}.</source>
        <translation>请选择 1 到 {0} 之间的数字。</translation>
    </message>
    <message>
        <source>Choose a shorter name.</source>
        <translation>请选择更短的名称。</translation>
    </message>
    <message>
        <source>Choose an MP4 or WebM video file.</source>
        <translation>请选择 MP4 或 WebM 视频文件。</translation>
    </message>
    <message>
        <source>Choose another name, or edit that agent instead.</source>
        <translation>请换一个名称，或改为编辑那个智能体。</translation>
    </message>
    <message>
        <source>Choose another name, or replace it (`--force`).</source>
        <translation>请换一个名称，或替换它（`--force`）。</translation>
    </message>
    <message>
        <source>Choose from 1 to {0}.</source>
        <translation>请在 1 到 {0} 之间选择。</translation>
    </message>
    <message>
        <source>Close that program, or set COGNITO.CALLBACK_PORT (or ECAN_CALLBACK_PORT) to a free port and add http://localhost:&lt;port&gt;/callback to the app client's callback URLs.</source>
        <translation>请关闭那个程序，或把 COGNITO.CALLBACK_PORT（或 ECAN_CALLBACK_PORT）设为一个空闲端口，并把 http://localhost:&lt;port&gt;/callback 加入应用客户端的回调网址。</translation>
    </message>
    <message>
        <source>Cloud storage {0} failed: {1}</source>
        <translation>云存储 {0} 失败：{1}</translation>
    </message>
    <message>
        <source>Compare with auth_config.yml.example.</source>
        <translation>请对照 auth_config.yml.example。</translation>
    </message>
    <message>
        <source>Confine the identity pool's authenticated role to its own prefix: objects under {0}${{cognito-identity.amazonaws.com:sub}}/* and listing only with an s3:prefix condition on that folder (plus read-only {1}: GetObject only). `ecan cloud deploy --name NAME` writes exactly that policy; or fix the role's policy in IAM.</source>
        <translation>请把身份池的已认证角色限制在它自己的前缀内：只允许 {0}${{cognito-identity.amazonaws.com:sub}}/* 下的对象，列出时只能带该文件夹的 s3:prefix 条件（另加只读的 {1}：仅 GetObject）。`ecan cloud deploy --name NAME` 会写入正是这样的策略；或在 IAM 中修正该角色的策略。</translation>
    </message>
    <message>
        <source>Confirm it with the code you were sent by e-mail, then sign in.</source>
        <translation>请用邮件中收到的验证码确认，然后登录。</translation>
    </message>
    <message>
        <source>Copy it from the Cognito console, e.g. us-east-1:1234abcd-....</source>
        <translation>请从 Cognito 控制台复制，例如 us-east-1:1234abcd-....</translation>
    </message>
    <message>
        <source>Copy it from the Cognito console, e.g. us-east-1_AbCdEf123.</source>
        <translation>请从 Cognito 控制台复制，例如 us-east-1_AbCdEf123。</translation>
    </message>
    <message>
        <source>Copy the ids from the Cognito console (and check COGNITO.REGION / ENDPOINT_URL).</source>
        <translation>请从 Cognito 控制台复制这些 ID（并检查 COGNITO.REGION / ENDPOINT_URL）。</translation>
    </message>
    <message>
        <source>Delete job {0} lacks the avatar's checksum.</source>
        <translation>删除任务 {0} 缺少头像的校验和。</translation>
    </message>
    <message>
        <source>Delete that agent on one computer and save it again.</source>
        <translation>请在一台电脑上删除该智能体，然后重新保存。</translation>
    </message>
    <message>
        <source>Describe what the avatar should look like.</source>
        <translation>请描述头像应该是什么样子。</translation>
    </message>
    <message>
        <source>Details are in the log under $ECAN_HOME/logs/ecan.log.</source>
        <translation>详情见 $ECAN_HOME/logs/ecan.log 中的日志。</translation>
    </message>
    <message>
        <source>Details are in the log.</source>
        <translation>详情见日志。</translation>
    </message>
    <message>
        <source>Enter a key from Google AI Studio in Settings &gt; Image generation (kept in the system keyring), or set the GEMINI_API_KEY environment variable, then try again.</source>
        <translation>请在“设置 &gt; 图像生成”中输入 Google AI Studio 的密钥（保存在系统钥匙串中），或设置环境变量 GEMINI_API_KEY，然后重试。</translation>
    </message>
    <message>
        <source>Finish signing in in the browser, or start again.</source>
        <translation>请在浏览器中完成登录，或重新开始。</translation>
    </message>
    <message>
        <source>Fix the folder's permissions or set STORAGE.LOCAL_PATH.</source>
        <translation>请修正文件夹的权限，或设置 STORAGE.LOCAL_PATH。</translation>
    </message>
    <message>
        <source>Fix the syntax; compare with auth_config.yml.example.</source>
        <translation>请修正语法；对照 auth_config.yml.example。</translation>
    </message>
    <message>
        <source>Free some space on it: the next sync brings the avatar.</source>
        <translation>请腾出一些空间：下次同步时会取回这个头像。</translation>
    </message>
    <message>
        <source>Free some space on that disk, then try again; the library is as it was.</source>
        <translation>请在该磁盘上腾出一些空间，然后重试；头像库保持原样。</translation>
    </message>
    <message>
        <source>Free some space or choose another place, then export again.</source>
        <translation>请释放一些空间或换一个位置，然后重新导出。</translation>
    </message>
    <message>
        <source>Gemini ({0}) answered with no candidates.</source>
        <translation>Gemini（{0}）没有返回任何结果。</translation>
    </message>
    <message>
        <source>Gemini ({0}) blocked the request for safety ({1}).</source>
        <translation>Gemini（{0}）出于安全原因拦截了请求（{1}）。</translation>
    </message>
    <message>
        <source>Gemini ({0}) did not answer within {1} s.</source>
        <translation>Gemini（{0}）在 {1} 秒内没有响应。</translation>
    </message>
    <message>
        <source>Gemini ({0}) failed with HTTP {1} after retries.</source>
        <translation>Gemini（{0}）重试后仍失败，HTTP {1}。</translation>
    </message>
    <message>
        <source>Gemini ({0}) refused the request (HTTP {1}): {2}</source>
        <translation>Gemini（{0}）拒绝了请求（HTTP {1}）：{2}</translation>
    </message>
    <message>
        <source>Gemini ({0}) sent a broken or incomplete answer.</source>
        <translation>Gemini（{0}）返回的响应已损坏或不完整。</translation>
    </message>
    <message>
        <source>Gemini at {0} cannot be reached.</source>
        <translation>无法连接位于 {0} 的 Gemini。</translation>
    </message>
    <message>
        <source>Gemini does not know the model {0}.</source>
        <translation>Gemini 不认识模型 {0}。</translation>
    </message>
    <message>
        <source>Generate again with several candidates, then choose.</source>
        <translation>请以多个候选重新生成，然后挑选。</translation>
    </message>
    <message>
        <source>Generation task {0} is not running.</source>
        <translation>生成任务 {0} 未在运行。</translation>
    </message>
    <message>
        <source>Give a folder (it is made if it does not exist).</source>
        <translation>请给出一个文件夹（不存在时会自动创建）。</translation>
    </message>
    <message>
        <source>Give either a photo file or an avatar.</source>
        <translation>请提供一个照片文件或一个头像（二选一）。</translation>
    </message>
    <message>
        <source>Give hours and minutes such as 30m, 1h or 2h30m, or the word tomorrow.</source>
        <translation>请给出小时和分钟，例如 30m、1h 或 2h30m，或者 tomorrow（明天）。</translation>
    </message>
    <message>
        <source>Give kilobytes per second as a whole number; 0 = unlimited.</source>
        <translation>请以整数给出每秒千字节数；0 表示不限。</translation>
    </message>
    <message>
        <source>Give those agents another avatar (or delete them) first.</source>
        <translation>请先给这些智能体换一个头像（或删除它们）。</translation>
    </message>
    <message>
        <source>If it is confirmed already, sign in.</source>
        <translation>如果已经确认，请直接登录。</translation>
    </message>
    <message>
        <source>Import image files or folders of them.</source>
        <translation>请导入图片文件或包含图片的文件夹。</translation>
    </message>
    <message>
        <source>Import the file again.</source>
        <translation>请重新导入该文件。</translation>
    </message>
    <message>
        <source>Import your own picture instead.</source>
        <translation>请改为导入你自己的图片。</translation>
    </message>
    <message>
        <source>Indent the keys under the section name.</source>
        <translation>请把键缩进到分区名之下。</translation>
    </message>
    <message>
        <source>It is read again and the change merged.</source>
        <translation>将重新读取并合并更改。</translation>
    </message>
    <message>
        <source>It is tried again shortly.</source>
        <translation>稍后会自动重试。</translation>
    </message>
    <message>
        <source>It is uploaded again.</source>
        <translation>它会重新上传。</translation>
    </message>
    <message>
        <source>It starts again by itself; try again in a moment. Nothing is lost.</source>
        <translation>它会自行重新启动；请稍后再试。不会丢失任何内容。</translation>
    </message>
    <message>
        <source>It will be uploaded again.</source>
        <translation>它将重新上传。</translation>
    </message>
    <message>
        <source>Keep it under {0} characters.</source>
        <translation>请控制在 {0} 个字符以内。</translation>
    </message>
    <message>
        <source>Leave it out to get a new one.</source>
        <translation>省略它即可获得一个新的。</translation>
    </message>
    <message>
        <source>Leave task_id out to get a new one.</source>
        <translation>省略 task_id 即可获得一个新的。</translation>
    </message>
    <message>
        <source>Leave the password out of the address: enter it in Settings (kept in the system keyring) or set ECAN_PROXY_PASSWORD.</source>
        <translation>请不要把密码写在地址里：在“设置”中输入（保存在系统钥匙串中），或设置 ECAN_PROXY_PASSWORD。</translation>
    </message>
    <message>
        <source>List the agents (`ecan agent list`) to see their ids.</source>
        <translation>列出智能体（`ecan agent list`）以查看它们的 ID。</translation>
    </message>
    <message>
        <source>List the library (`ecan list`) to see the avatars and their ids.</source>
        <translation>列出头像库（`ecan list`）以查看头像及其 ID。</translation>
    </message>
    <message>
        <source>Make it writable (or set ECAN_HOME to a folder you can write to), then try again; the library is as it was.</source>
        <translation>请让它可写（或把 ECAN_HOME 设为你可以写入的文件夹），然后重试；头像库保持原样。</translation>
    </message>
    <message>
        <source>Name a task from `ecan generate history`.</source>
        <translation>请指定 `ecan generate history` 中列出的任务。</translation>
    </message>
    <message>
        <source>Name the agent by its id or its name.</source>
        <translation>请用 ID 或名称指定智能体。</translation>
    </message>
    <message>
        <source>No Gemini API key: GEMINI_API_KEY is not set.</source>
        <translation>没有 Gemini API 密钥：未设置 GEMINI_API_KEY。</translation>
    </message>
    <message>
        <source>No account is signed in to move them into.</source>
        <translation>没有已登录的账户可以把它们移入。</translation>
    </message>
    <message>
        <source>No cloud storage is configured, so avatars have no links.</source>
        <translation>未配置云存储，因此头像没有链接。</translation>
    </message>
    <message>
        <source>No cloud storage is configured; ecan keeps everything on this computer and syncs once one is.</source>
        <translation>未配置云存储；ecan 会把所有内容保存在这台电脑上，配置后再同步。</translation>
    </message>
    <message>
        <source>No cloud storage is configured; ecan keeps everything on this computer.</source>
        <translation>未配置云存储；ecan 会把所有内容保存在这台电脑上。</translation>
    </message>
    <message>
        <source>Nothing can be deleted in the cloud for it; retry is useless.</source>
        <translation>云端没有可为它删除的内容；重试也无济于事。</translation>
    </message>
    <message>
        <source>Nothing to do here; it did not come from ecan.</source>
        <translation>无需处理；它不是 ecan 写入的。</translation>
    </message>
    <message>
        <source>Nothing to do here; the other machine's next change carries on.</source>
        <translation>这里无需处理；另一台电脑的下一次更改会继续。</translation>
    </message>
    <message>
        <source>Only a task that is still running can be cancelled.</source>
        <translation>只有仍在运行的任务才能取消。</translation>
    </message>
    <message>
        <source>Pause for a duration such as 30m, 1h or 2h30m, or until tomorrow.</source>
        <translation>请暂停一段时长，例如 30m、1h 或 2h30m，或暂停到明天。</translation>
    </message>
    <message>
        <source>Pause for between a second and 30 days, or without a duration until you resume.</source>
        <translation>可暂停 1 秒到 30 天；不指定时长则暂停到你恢复为止。</translation>
    </message>
    <message>
        <source>Pick a photo file or an existing avatar.</source>
        <translation>请选择一个照片文件或已有的头像。</translation>
    </message>
    <message>
        <source>Pick an avatar from the library.</source>
        <translation>请从头像库中选择一个头像。</translation>
    </message>
    <message>
        <source>Pick an expiry of at most 604800 s.</source>
        <translation>有效期最长为 604800 秒。</translation>
    </message>
    <message>
        <source>Pick one photo (--image FILE) or one avatar.</source>
        <translation>请选择一张照片（--image FILE）或一个头像。</translation>
    </message>
    <message>
        <source>Point ECAN_CONFIG at an existing auth_config.yml, or unset it.</source>
        <translation>请让 ECAN_CONFIG 指向一个存在的 auth_config.yml，或取消设置它。</translation>
    </message>
    <message>
        <source>Point ECAN_HOME at a folder (it is created if missing), or unset it to use the default.</source>
        <translation>请让 ECAN_HOME 指向一个文件夹（不存在时会自动创建），或取消设置以使用默认位置。</translation>
    </message>
    <message>
        <source>Port {0} on this computer, where the browser comes back to ecan after signing in, is used by another program.</source>
        <translation>本机的端口 {0}（浏览器登录后回到 ecan 的地方）正被另一个程序占用。</translation>
    </message>
    <message>
        <source>Raise GEMINI.CREDIT_BUDGET in auth_config.yml (0 = no limit).</source>
        <translation>请在 auth_config.yml 中调高 GEMINI.CREDIT_BUDGET（0 表示不限）。</translation>
    </message>
    <message>
        <source>Remove some tags.</source>
        <translation>请删除一些标签。</translation>
    </message>
    <message>
        <source>Rephrase the request or use another photo; nothing was generated.</source>
        <translation>请换一种描述或使用另一张照片；没有生成任何内容。</translation>
    </message>
    <message>
        <source>Reset it on your organisation's sign-in page.</source>
        <translation>请在你所在组织的登录页面上重置它。</translation>
    </message>
    <message>
        <source>Restart ecan to apply the new settings.</source>
        <translation>请重启 ecan 以应用新设置。</translation>
    </message>
    <message>
        <source>Retry the upload.</source>
        <translation>请重试上传。</translation>
    </message>
    <message>
        <source>Run `ecan doctor`: it checks the sign-in, the keys, access to the bucket and this computer's clock. Uploads stay queued meanwhile.</source>
        <translation>请运行 `ecan doctor`：它会检查登录、密钥、存储桶访问权限以及本机时钟。在此期间上传会保留在队列中。</translation>
    </message>
    <message>
        <source>Run `ecan doctor`; a restore (`ecan restore`) brings synced avatars back.</source>
        <translation>请运行 `ecan doctor`；恢复（`ecan restore`）可以取回已同步的头像。</translation>
    </message>
    <message>
        <source>Save into a folder that exists.</source>
        <translation>请保存到一个已存在的文件夹。</translation>
    </message>
    <message>
        <source>Save its picture instead.</source>
        <translation>请改为保存它的图片。</translation>
    </message>
    <message>
        <source>See `ecan agent list` for the agents' names.</source>
        <translation>运行 `ecan agent list` 查看智能体的名称。</translation>
    </message>
    <message>
        <source>See `ecan trash` for what can be brought back.</source>
        <translation>运行 `ecan trash` 查看可以恢复的内容。</translation>
    </message>
    <message>
        <source>Send a file path.</source>
        <translation>请发送一个文件路径。</translation>
    </message>
    <message>
        <source>Send either `id` or `name`.</source>
        <translation>请发送 `id` 或 `name` 之一。</translation>
    </message>
    <message>
        <source>Set COGNITO.DOMAIN to the user pool's domain (e.g. myapp.auth.us-east-1.amazoncognito.com).</source>
        <translation>请把 COGNITO.DOMAIN 设为用户池的域名（例如 myapp.auth.us-east-1.amazoncognito.com）。</translation>
    </message>
    <message>
        <source>Set COGNITO.USER_POOL_ID and COGNITO.CLIENT_ID in auth_config.yml.</source>
        <translation>请在 auth_config.yml 中设置 COGNITO.USER_POOL_ID 和 COGNITO.CLIENT_ID。</translation>
    </message>
    <message>
        <source>Set GEMINI.{0} in auth_config.yml to an available model.</source>
        <translation>请在 auth_config.yml 中把 GEMINI.{0} 设为可用的模型。</translation>
    </message>
    <message>
        <source>Set GEMINI_API_KEY to a valid key (Google AI Studio -&gt; Get API key) and check it is allowed to use the Gemini API.</source>
        <translation>请把 GEMINI_API_KEY 设为有效的密钥（Google AI Studio -&gt; Get API key），并确认它可以使用 Gemini API。</translation>
    </message>
    <message>
        <source>Set STORAGE.BUCKET (or AVATAR_CLOUD_BUCKET) for S3, or STORAGE.BACKEND: local.</source>
        <translation>请为 S3 设置 STORAGE.BUCKET（或 AVATAR_CLOUD_BUCKET），或设置 STORAGE.BACKEND: local。</translation>
    </message>
    <message>
        <source>Set STORAGE.BUCKET (or AVATAR_CLOUD_BUCKET) in the config, sign in, and sync.</source>
        <translation>请在配置中设置 STORAGE.BUCKET（或 AVATAR_CLOUD_BUCKET），登录，然后同步。</translation>
    </message>
    <message>
        <source>Set STORAGE.BUCKET (or AVATAR_CLOUD_BUCKET) with COGNITO.IDENTITY_POOL_ID or AVATAR_CLOUD_ACCESS_KEY/SECRET_KEY, or STORAGE.BACKEND: local.</source>
        <translation>请设置 STORAGE.BUCKET（或 AVATAR_CLOUD_BUCKET），并配合 COGNITO.IDENTITY_POOL_ID 或 AVATAR_CLOUD_ACCESS_KEY/SECRET_KEY；或设置 STORAGE.BACKEND: local。</translation>
    </message>
    <message>
        <source>Set STORAGE.BUCKET or AVATAR_CLOUD_BUCKET.</source>
        <translation>请设置 STORAGE.BUCKET 或 AVATAR_CLOUD_BUCKET。</translation>
    </message>
    <message>
        <source>Set STORAGE.REGION / AVATAR_CLOUD_REGION to the bucket's region.</source>
        <translation>请把 STORAGE.REGION / AVATAR_CLOUD_REGION 设为存储桶所在的区域。</translation>
    </message>
    <message>
        <source>Set a new password in your organisation's sign-in page, then sign in here with it.</source>
        <translation>请在你所在组织的登录页面设置新密码，然后用它在这里登录。</translation>
    </message>
    <message>
        <source>Set both USER_POOL_ID and CLIENT_ID, or neither.</source>
        <translation>请同时设置 USER_POOL_ID 和 CLIENT_ID，或都不设置。</translation>
    </message>
    <message>
        <source>Set both the access key and the secret key, or neither.</source>
        <translation>请同时设置访问密钥和私密密钥，或都不设置。</translation>
    </message>
    <message>
        <source>Set the system clock (turn on automatic time / NTP) and try again.</source>
        <translation>请校准系统时钟（开启自动设置时间 / NTP）后重试。</translation>
    </message>
    <message>
        <source>Set the system clock (turn on automatic time / NTP); `ecan doctor` shows how far off it is. Sync carries on by itself once the clock is right.</source>
        <translation>请校准系统时钟（开启自动设置时间 / NTP）；`ecan doctor` 会显示偏差多少。时钟正确后同步会自动继续。</translation>
    </message>
    <message>
        <source>Set the system clock: turn on automatic time (NTP), e.g. `timedatectl set-ntp true`; signed requests fail past 15 minutes.</source>
        <translation>请校准系统时钟：开启自动设置时间（NTP），例如 `timedatectl set-ntp true`；时间偏差超过 15 分钟时签名请求会失败。</translation>
    </message>
    <message>
        <source>Shorten the description.</source>
        <translation>请缩短描述。</translation>
    </message>
    <message>
        <source>Sign in (`ecan login --username NAME`) or set AVATAR_CLOUD_ACCESS_KEY and AVATAR_CLOUD_SECRET_KEY.</source>
        <translation>请登录（`ecan login --username NAME`），或设置 AVATAR_CLOUD_ACCESS_KEY 和 AVATAR_CLOUD_SECRET_KEY。</translation>
    </message>
    <message>
        <source>Sign in again from the start.</source>
        <translation>请从头重新登录。</translation>
    </message>
    <message>
        <source>Sign in again: `ecan login --username NAME`.</source>
        <translation>请重新登录：`ecan login --username NAME`。</translation>
    </message>
    <message>
        <source>Sign in as the account that queued it; it then syncs.</source>
        <translation>请以把它加入队列的账户登录；随后它就会同步。</translation>
    </message>
    <message>
        <source>Sign in first.</source>
        <translation>请先登录。</translation>
    </message>
    <message>
        <source>Sign in through the browser (`ecan login --browser`), or ask the pool's administrator which sign-in steps your account needs.</source>
        <translation>请通过浏览器登录（`ecan login --browser`），或询问用户池管理员你的账户需要哪些登录步骤。</translation>
    </message>
    <message>
        <source>Sign in to that account, or use another address.</source>
        <translation>请登录那个账户，或使用另一个地址。</translation>
    </message>
    <message>
        <source>Sign in with `ecan login` in a terminal (it asks for the code), or in the app.</source>
        <translation>请在终端中用 `ecan login` 登录（它会询问验证码），或在应用中登录。</translation>
    </message>
    <message>
        <source>Sign in with `ecan login` in a terminal (it asks for the new password), or in the app.</source>
        <translation>请在终端中用 `ecan login` 登录（它会询问新密码），或在应用中登录。</translation>
    </message>
    <message>
        <source>Sign in with it, reset its password (`ecan forgot-password`), or choose another username.</source>
        <translation>请用它登录、重置其密码（`ecan forgot-password`），或选择另一个用户名。</translation>
    </message>
    <message>
        <source>Sign out and sign in again; if it persists, check COGNITO.IDENTITY_POOL_ID.</source>
        <translation>请退出后重新登录；如果问题仍在，请检查 COGNITO.IDENTITY_POOL_ID。</translation>
    </message>
    <message>
        <source>Sign-in failed ({0}).</source>
        <translation>登录失败（{0}）。</translation>
    </message>
    <message>
        <source>Skipped a change from another machine: {0}.</source>
        <translation>已跳过来自另一台电脑的更改：{0}。</translation>
    </message>
    <message>
        <source>Start it again when you are ready.</source>
        <translation>准备好后请重新开始。</translation>
    </message>
    <message>
        <source>Start the sign-in again.</source>
        <translation>请重新开始登录。</translation>
    </message>
    <message>
        <source>Start the sign-in again; check COGNITO.DOMAIN and that the app client allows the authorization code grant.</source>
        <translation>请重新开始登录；检查 COGNITO.DOMAIN，并确认应用客户端允许授权码授权方式。</translation>
    </message>
    <message>
        <source>Sync it first (`ecan sync`, or let the app sync it), then ask for the link again.</source>
        <translation>请先同步它（`ecan sync`，或让应用同步），然后再获取链接。</translation>
    </message>
    <message>
        <source>Sync it first, then export it.</source>
        <translation>请先同步它，然后再导出。</translation>
    </message>
    <message>
        <source>Syncing did not answer in time.</source>
        <translation>同步没有及时响应。</translation>
    </message>
    <message>
        <source>Syncing is not running right now.</source>
        <translation>同步当前没有运行。</translation>
    </message>
    <message>
        <source>Syncing stopped unexpectedly and is starting again.</source>
        <translation>同步意外停止，正在重新启动。</translation>
    </message>
    <message>
        <source>Task {0} already exists.</source>
        <translation>任务 {0} 已存在。</translation>
    </message>
    <message>
        <source>Task {0} has no candidate {1}.</source>
        <translation>任务 {0} 没有第 {1} 个候选。</translation>
    </message>
    <message>
        <source>Task {0} has no candidates waiting.</source>
        <translation>任务 {0} 没有待挑选的候选。</translation>
    </message>
    <message>
        <source>That code has expired or was already used.</source>
        <translation>该验证码已过期或已被使用。</translation>
    </message>
    <message>
        <source>That code is not right.</source>
        <translation>验证码不正确。</translation>
    </message>
    <message>
        <source>That e-mail address belongs to another account.</source>
        <translation>该电子邮件地址属于另一个账户。</translation>
    </message>
    <message>
        <source>That is not an e-mail address.</source>
        <translation>这不是一个电子邮件地址。</translation>
    </message>
    <message>
        <source>That time has already passed.</source>
        <translation>那个时间已经过去了。</translation>
    </message>
    <message>
        <source>The Gemini API refused the key in GEMINI_API_KEY.</source>
        <translation>Gemini API 拒绝了 GEMINI_API_KEY 中的密钥。</translation>
    </message>
    <message>
        <source>The Gemini quota is exhausted ({0}, HTTP 429, still refused after retries).</source>
        <translation>Gemini 配额已用尽（{0}，HTTP 429，重试后仍被拒绝）。</translation>
    </message>
    <message>
        <source>The agent name must be at most {0} printable characters.</source>
        <translation>智能体名称最多 {0} 个可打印字符。</translation>
    </message>
    <message>
        <source>The authenticator code is not right.</source>
        <translation>身份验证器验证码不正确。</translation>
    </message>
    <message>
        <source>The browser did not come back to ecan.</source>
        <translation>浏览器没有返回 ecan。</translation>
    </message>
    <message>
        <source>The browser sign-in was cancelled.</source>
        <translation>浏览器登录已取消。</translation>
    </message>
    <message>
        <source>The cloud's document for agent {0} is over the {1} byte limit, so it was not read.</source>
        <translation>云端智能体 {0} 的文档超过 {1} 字节的上限，因此未读取。</translation>
    </message>
    <message>
        <source>The code could not be sent.</source>
        <translation>验证码无法发送。</translation>
    </message>
    <message>
        <source>The code is not a number.</source>
        <translation>验证码不是数字。</translation>
    </message>
    <message>
        <source>The description is over {0} characters.</source>
        <translation>描述超过了 {0} 个字符。</translation>
    </message>
    <message>
        <source>The disk holding the library {0} is full, so ecan cannot open it.</source>
        <translation>头像库 {0} 所在的磁盘已满，ecan 无法打开它。</translation>
    </message>
    <message>
        <source>The download of {0} did not match its sha256.</source>
        <translation>{0} 的下载内容与其 sha256 不符。</translation>
    </message>
    <message>
        <source>The file changed while it was uploading; it is retried from the saved copy.</source>
        <translation>文件在上传过程中发生了变化；将从保存的副本重试。</translation>
    </message>
    <message>
        <source>The file for {0} does not match its recorded sha256 (it changed after import); nothing was written.</source>
        <translation>{0} 的文件与记录的 sha256 不符（导入后被改动过）；没有写入任何内容。</translation>
    </message>
    <message>
        <source>The file was changed or damaged on disk: delete the avatar and import it again.</source>
        <translation>磁盘上的文件已被更改或损坏：请删除该头像并重新导入。</translation>
    </message>
    <message>
        <source>The folder holding the library {0} is read-only, so ecan cannot open it.</source>
        <translation>头像库所在的文件夹 {0} 是只读的，ecan 无法打开它。</translation>
    </message>
    <message>
        <source>The generation budget is spent ({0} of {1} credits; 1 credit = 1 generated image).</source>
        <translation>生成预算已用完（已用 {0}/{1} 点；1 点 = 生成 1 张图片）。</translation>
    </message>
    <message>
        <source>The generation was cancelled.</source>
        <translation>生成已取消。</translation>
    </message>
    <message>
        <source>The identity id from the sign-in service has an unexpected shape.</source>
        <translation>登录服务返回的身份 ID 格式异常。</translation>
    </message>
    <message>
        <source>The identity pool {0} refused your sign-in.</source>
        <translation>身份池 {0} 拒绝了你的登录。</translation>
    </message>
    <message>
        <source>The image model {0} answered without an image.</source>
        <translation>图像模型 {0} 的响应中没有图片。</translation>
    </message>
    <message>
        <source>The key in use lacks {0} on {1}/&lt;your prefix&gt;; ask the bucket's operator for that permission, or sign in again.</source>
        <translation>当前使用的密钥在 {1}/&lt;你的前缀&gt; 上缺少 {0} 权限；请向存储桶的管理员申请该权限，或重新登录。</translation>
    </message>
    <message>
        <source>The key lacks s3:DeleteObject on your prefix; ask the bucket's operator for it.</source>
        <translation>密钥在你的前缀上缺少 s3:DeleteObject 权限；请向存储桶管理员申请。</translation>
    </message>
    <message>
        <source>The library database {0} cannot be opened ({1}).</source>
        <translation>无法打开头像库数据库 {0}（{1}）。</translation>
    </message>
    <message>
        <source>The library {0} was written by a newer ecan (schema {1}).</source>
        <translation>头像库 {0} 由更新版本的 ecan 写入（架构 {1}）。</translation>
    </message>
    <message>
        <source>The new password is empty.</source>
        <translation>新密码为空。</translation>
    </message>
    <message>
        <source>The password is empty.</source>
        <translation>密码为空。</translation>
    </message>
    <message>
        <source>The password is not accepted: {0}.</source>
        <translation>密码不被接受：{0}。</translation>
    </message>
    <message>
        <source>The pool refused the browser's sign-in ({0}).</source>
        <translation>用户池拒绝了浏览器登录（{0}）。</translation>
    </message>
    <message>
        <source>The pool sent no tokens.</source>
        <translation>用户池没有发送令牌。</translation>
    </message>
    <message>
        <source>The request (prompt) is empty.</source>
        <translation>描述（提示词）为空。</translation>
    </message>
    <message>
        <source>The request is {0} characters long.</source>
        <translation>描述长达 {0} 个字符。</translation>
    </message>
    <message>
        <source>The service is having trouble; try again in a few minutes.</source>
        <translation>服务出现问题；请几分钟后再试。</translation>
    </message>
    <message>
        <source>The sign-in page refused: {0}.</source>
        <translation>登录页面拒绝了：{0}。</translation>
    </message>
    <message>
        <source>The sign-in service asks for a step ecan does not know ({0}).</source>
        <translation>登录服务要求一个 ecan 不认识的步骤（{0}）。</translation>
    </message>
    <message>
        <source>The sign-in service at {0} has no signing keys for user pool {1} (HTTP {2}).</source>
        <translation>位于 {0} 的登录服务没有用户池 {1} 的签名密钥（HTTP {2}）。</translation>
    </message>
    <message>
        <source>The sign-in service refused it: {0}.</source>
        <translation>登录服务拒绝了：{0}。</translation>
    </message>
    <message>
        <source>The sign-in service refused the request ({0}).</source>
        <translation>登录服务拒绝了请求（{0}）。</translation>
    </message>
    <message>
        <source>The sign-in service returned a token that does not verify (wrong signature, issuer or audience).</source>
        <translation>登录服务返回的令牌无法验证（签名、签发者或受众不正确）。</translation>
    </message>
    <message>
        <source>The sign-in service returned a token without a valid user id (sub).</source>
        <translation>登录服务返回的令牌中没有有效的用户 ID（sub）。</translation>
    </message>
    <message>
        <source>The storage endpoint {0} stopped answering during {1}.</source>
        <translation>存储端点 {0} 在 {1} 过程中停止响应。</translation>
    </message>
    <message>
        <source>The storage folder {0} cannot be used ({1}).</source>
        <translation>无法使用存储文件夹 {0}（{1}）。</translation>
    </message>
    <message>
        <source>The storage folder {0} is not writable.</source>
        <translation>存储文件夹 {0} 不可写。</translation>
    </message>
    <message>
        <source>The storage service at {0} is unavailable ({1}) during {2}.</source>
        <translation>位于 {0} 的存储服务在 {2} 过程中不可用（{1}）。</translation>
    </message>
    <message>
        <source>The storage service does not know the access key used for bucket '{0}'.</source>
        <translation>存储服务不认识存储桶 “{0}” 所用的访问密钥。</translation>
    </message>
    <message>
        <source>The storage service or a proxy alters objects; check STORAGE.ENDPOINT_URL points at the storage service itself.</source>
        <translation>存储服务或代理改动了对象；请检查 STORAGE.ENDPOINT_URL 是否直接指向存储服务本身。</translation>
    </message>
    <message>
        <source>The storage service received different bytes than sent for {0}.</source>
        <translation>存储服务收到的 {0} 的内容与发送的不一致。</translation>
    </message>
    <message>
        <source>The storage service refused {0} on {1} (HTTP {2}) without saying why.</source>
        <translation>存储服务拒绝了对 {1} 的 {0}（HTTP {2}），且未说明原因。</translation>
    </message>
    <message>
        <source>The storage service rejected the request signature for bucket '{0}'.</source>
        <translation>存储服务拒绝了存储桶 “{0}” 的请求签名。</translation>
    </message>
    <message>
        <source>The storage service stopped sending {0} midway.</source>
        <translation>存储服务在传送 {0} 的中途停止了。</translation>
    </message>
    <message>
        <source>The stored file {0} no longer matches its checksum.</source>
        <translation>已存储的文件 {0} 与其校验和不再一致。</translation>
    </message>
    <message>
        <source>The sync engine is already running.</source>
        <translation>同步引擎已在运行。</translation>
    </message>
    <message>
        <source>The text model {0} returned no prompt.</source>
        <translation>文本模型 {0} 没有返回提示词。</translation>
    </message>
    <message>
        <source>The transfer was damaged; it is retried.</source>
        <translation>传输内容已损坏；将重试。</translation>
    </message>
    <message>
        <source>The uploaded object {0} did not verify.</source>
        <translation>已上传的对象 {0} 未通过校验。</translation>
    </message>
    <message>
        <source>The username is empty or not valid text.</source>
        <translation>用户名为空或不是有效的文本。</translation>
    </message>
    <message>
        <source>The username or password is wrong.</source>
        <translation>用户名或密码错误。</translation>
    </message>
    <message>
        <source>The {0} is empty.</source>
        <translation>{0}为空。</translation>
    </message>
    <message>
        <source>There is already an account with that username.</source>
        <translation>已有使用该用户名的账户。</translation>
    </message>
    <message>
        <source>There is no agent named {0}.</source>
        <translation>没有名为 {0} 的智能体。</translation>
    </message>
    <message>
        <source>There is no agent with id {0}.</source>
        <translation>没有 ID 为 {0} 的智能体。</translation>
    </message>
    <message>
        <source>There is no avatar with id {0}.</source>
        <translation>没有 ID 为 {0} 的头像。</translation>
    </message>
    <message>
        <source>There is no avatar {0} in the trash.</source>
        <translation>回收站中没有头像 {0}。</translation>
    </message>
    <message>
        <source>There is no style preset {0}.</source>
        <translation>没有名为 {0} 的风格预设。</translation>
    </message>
    <message>
        <source>There is no user with that name.</source>
        <translation>没有这个名称的用户。</translation>
    </message>
    <message>
        <source>This account cannot be confirmed: {0}.</source>
        <translation>无法确认此账户：{0}。</translation>
    </message>
    <message>
        <source>This account is not confirmed yet.</source>
        <translation>此账户尚未确认。</translation>
    </message>
    <message>
        <source>This browser sign-in is not running.</source>
        <translation>此浏览器登录未在进行。</translation>
    </message>
    <message>
        <source>This computer's clock differs too much from the sign-in service's: what it issued looks expired.</source>
        <translation>本机时钟与登录服务的时钟相差太大：它签发的凭据看起来已过期。</translation>
    </message>
    <message>
        <source>This computer's clock differs too much from the storage service's.</source>
        <translation>本机时钟与存储服务的时钟相差太大。</translation>
    </message>
    <message>
        <source>This is on the service's side; ecan keeps the work queued and retries.</source>
        <translation>这是服务端的问题；ecan 会把工作保留在队列中并重试。</translation>
    </message>
    <message>
        <source>This is usually a passing network problem; ecan retries.</source>
        <translation>这通常是暂时的网络问题；ecan 会重试。</translation>
    </message>
    <message>
        <source>This job belongs to identity {0}, not to the signed-in {1}: it waits and is never uploaded under another identity.</source>
        <translation>此任务属于身份 {0}，而不是已登录的 {1}：它会等待，绝不会以其他身份上传。</translation>
    </message>
    <message>
        <source>This sign-in step has expired.</source>
        <translation>此登录步骤已过期。</translation>
    </message>
    <message>
        <source>This sync engine cannot read its settings again.</source>
        <translation>此同步引擎无法重新读取设置。</translation>
    </message>
    <message>
        <source>Too many attempts.</source>
        <translation>尝试次数过多。</translation>
    </message>
    <message>
        <source>Try again in a moment.</source>
        <translation>请稍后再试。</translation>
    </message>
    <message>
        <source>Try again in a moment; nothing is lost.</source>
        <translation>请稍后再试；不会丢失任何内容。</translation>
    </message>
    <message>
        <source>Try again later, or raise GEMINI.TIMEOUT_S in auth_config.yml.</source>
        <translation>请稍后再试，或在 auth_config.yml 中调高 GEMINI.TIMEOUT_S。</translation>
    </message>
    <message>
        <source>Try again or rephrase the request; check GEMINI.IMAGE_MODEL names a model that can generate images (e.g. gemini-2.5-flash-image).</source>
        <translation>请重试或换一种描述；检查 GEMINI.IMAGE_MODEL 是否是能生成图片的模型（例如 gemini-2.5-flash-image）。</translation>
    </message>
    <message>
        <source>Try again, or rephrase the request; set GEMINI.TEXT_MODEL to another model if it keeps happening.</source>
        <translation>请重试或换一种描述；如果一直出现，请把 GEMINI.TEXT_MODEL 设为另一个模型。</translation>
    </message>
    <message>
        <source>Try again, or sign in with your username and password.</source>
        <translation>请重试，或用用户名和密码登录。</translation>
    </message>
    <message>
        <source>Try again; if it keeps happening, check GEMINI_BASE_URL points at the Gemini API.</source>
        <translation>请重试；如果一直出现，请检查 GEMINI_BASE_URL 是否指向 Gemini API。</translation>
    </message>
    <message>
        <source>Try again; if it keeps happening, check GEMINI_BASE_URL.</source>
        <translation>请重试；如果一直出现，请检查 GEMINI_BASE_URL。</translation>
    </message>
    <message>
        <source>Type a name for the agent.</source>
        <translation>请输入智能体的名称。</translation>
    </message>
    <message>
        <source>Type a name for the avatar.</source>
        <translation>请输入头像的名称。</translation>
    </message>
    <message>
        <source>Type the address the confirmation code should go to.</source>
        <translation>请输入接收确认验证码的地址。</translation>
    </message>
    <message>
        <source>Type the digits of the code you were sent.</source>
        <translation>请输入收到的验证码数字。</translation>
    </message>
    <message>
        <source>Type the digits of the code.</source>
        <translation>请输入验证码数字。</translation>
    </message>
    <message>
        <source>Type the username you signed up with.</source>
        <translation>请输入注册时使用的用户名。</translation>
    </message>
    <message>
        <source>Type the {0}.</source>
        <translation>请输入{0}。</translation>
    </message>
    <message>
        <source>Type your password.</source>
        <translation>请输入密码。</translation>
    </message>
    <message>
        <source>Unable to locate credentials for cloud storage.</source>
        <translation>找不到云存储的凭据。</translation>
    </message>
    <message>
        <source>Unknown outbox job kind {0}.</source>
        <translation>未知的发件箱任务类型 {0}。</translation>
    </message>
    <message>
        <source>Update ecan, or point ECAN_HOME at another folder.</source>
        <translation>请更新 ecan，或让 ECAN_HOME 指向另一个文件夹。</translation>
    </message>
    <message>
        <source>Update ecan; this job was written by a newer version.</source>
        <translation>请更新 ecan；此任务由更新的版本写入。</translation>
    </message>
    <message>
        <source>Use 0 for unlimited.</source>
        <translation>用 0 表示不限。</translation>
    </message>
    <message>
        <source>Use 3-63 lowercase letters, digits, dots or hyphens.</source>
        <translation>请使用 3-63 个小写字母、数字、点或连字符。</translation>
    </message>
    <message>
        <source>Use USER_SRP_AUTH (default) or USER_PASSWORD_AUTH.</source>
        <translation>请使用 USER_SRP_AUTH（默认）或 USER_PASSWORD_AUTH。</translation>
    </message>
    <message>
        <source>Use `local` (a folder) or `s3` (AWS S3, R2, MinIO via ENDPOINT_URL).</source>
        <translation>请使用 `local`（文件夹）或 `s3`（AWS S3、R2，或通过 ENDPOINT_URL 使用 MinIO）。</translation>
    </message>
    <message>
        <source>Use a number from 1 to 64.</source>
        <translation>请使用 1 到 64 之间的数字。</translation>
    </message>
    <message>
        <source>Use a port number (1-65535), or 0 for any free one.</source>
        <translation>请使用端口号（1-65535），或用 0 表示任意空闲端口。</translation>
    </message>
    <message>
        <source>Use a shorter or smaller video.</source>
        <translation>请使用更短或更小的视频。</translation>
    </message>
    <message>
        <source>Use a {0} image under {1} MB and {2} megapixels.</source>
        <translation>请使用小于 {1} MB 且不超过 {2} 百万像素的 {0} 图片。</translation>
    </message>
    <message>
        <source>Use another name: '{0}' holds the avatars every user shares.</source>
        <translation>请换一个名称：“{0}” 存放所有用户共享的头像。</translation>
    </message>
    <message>
        <source>Use folder names joined by single '/', none starting with '.', such as avatars/ or tenant/avatars/.</source>
        <translation>请使用以单个 “/” 连接的文件夹名，且都不以 “.” 开头，例如 avatars/ 或 tenant/avatars/。</translation>
    </message>
    <message>
        <source>Use https://{0}{1} (http is allowed only for this computer: localhost, 127.0.0.1, ::1).</source>
        <translation>请使用 https://{0}{1}（只有本机地址可以用 http：localhost、127.0.0.1、::1）。</translation>
    </message>
    <message>
        <source>Use letters, digits, - and _ only.</source>
        <translation>只能使用字母、数字、- 和 _。</translation>
    </message>
    <message>
        <source>Use one of {0} (see auth_config.yml.example).</source>
        <translation>请使用 {0} 之一（见 auth_config.yml.example）。</translation>
    </message>
    <message>
        <source>Use the pool's https domain (http only for a local test cloud).</source>
        <translation>请使用用户池的 https 域名（http 仅用于本地测试云）。</translation>
    </message>
    <message>
        <source>Valid keys: {0}.</source>
        <translation>有效的键：{0}。</translation>
    </message>
    <message>
        <source>Wait a few minutes and try again.</source>
        <translation>请等几分钟后再试。</translation>
    </message>
    <message>
        <source>Wait and try again later, or raise the quota / billing plan of the key in GEMINI_API_KEY.</source>
        <translation>请稍后再试，或提高 GEMINI_API_KEY 中密钥的配额 / 付费方案。</translation>
    </message>
    <message>
        <source>Wait for it to finish, or pause it first.</source>
        <translation>请等它完成，或先暂停它。</translation>
    </message>
    <message>
        <source>Write a plain string (quote it if in doubt).</source>
        <translation>请写一个普通字符串（不确定时加上引号）。</translation>
    </message>
    <message>
        <source>Write an AWS region such as us-east-1 (or `auto` for R2).</source>
        <translation>请写一个 AWS 区域，例如 us-east-1（R2 用 `auto`）。</translation>
    </message>
    <message>
        <source>Write e.g. 30.</source>
        <translation>例如写 30。</translation>
    </message>
    <message>
        <source>Write e.g. 4.</source>
        <translation>例如写 4。</translation>
    </message>
    <message>
        <source>Write it as http://host:port (or http://user@host:port).</source>
        <translation>请写成 http://主机:端口（或 http://用户@主机:端口）。</translation>
    </message>
    <message>
        <source>Write the full URL, e.g. https://&lt;account&gt;.r2.cloudflarestorage.com.</source>
        <translation>请写完整的网址，例如 https://&lt;account&gt;.r2.cloudflarestorage.com。</translation>
    </message>
    <message>
        <source>Write the user pool's region, e.g. us-east-1.</source>
        <translation>请写用户池所在的区域，例如 us-east-1。</translation>
    </message>
    <message>
        <source>You are not signed in.</source>
        <translation>你尚未登录。</translation>
    </message>
    <message>
        <source>Your account asks for a second factor (MFA), which ecan does not support yet.</source>
        <translation>你的账户要求第二重验证（MFA），ecan 暂不支持。</translation>
    </message>
    <message>
        <source>Your account asks for a second factor (a code).</source>
        <translation>你的账户要求第二重验证（验证码）。</translation>
    </message>
    <message>
        <source>Your account needs a new password before you can sign in.</source>
        <translation>你的账户需要设置新密码后才能登录。</translation>
    </message>
    <message>
        <source>Your cloud session has expired.</source>
        <translation>你的云端会话已过期。</translation>
    </message>
    <message>
        <source>Your password must be reset before you can sign in.</source>
        <translation>你的密码需要重置后才能登录。</translation>
    </message>
    <message>
        <source>Your session expired — sign in again.</source>
        <translation>你的会话已过期——请重新登录。</translation>
    </message>
    <message>
        <source>bucket '{0}' does not exist at {1}.</source>
        <translation>存储桶 “{0}” 在 {1} 不存在。</translation>
    </message>
    <message>
        <source>bucket '{0}' is in a different region than configured.</source>
        <translation>存储桶 “{0}” 所在区域与配置的不同。</translation>
    </message>
    <message>
        <source>cannot be read ({0})</source>
        <translation>无法读取（{0}）</translation>
    </message>
    <message>
        <source>config file {0}</source>
        <translation>配置文件 {0}</translation>
    </message>
    <message>
        <source>generate.start: give exactly one of image_path or avatar_id.</source>
        <translation>generate.start：image_path 和 avatar_id 只能且必须给出一个。</translation>
    </message>
    <message>
        <source>holds a password</source>
        <translation>包含密码</translation>
    </message>
    <message>
        <source>image_path: a path cannot contain NUL.</source>
        <translation>image_path：路径不能包含 NUL 字符。</translation>
    </message>
    <message>
        <source>internal error ({0})</source>
        <translation>内部错误（{0}）</translation>
    </message>
    <message>
        <source>is missing</source>
        <translation>缺失</translation>
    </message>
    <message>
        <source>is not valid YAML</source>
        <translation>不是有效的 YAML</translation>
    </message>
    <message>
        <source>is not valid YAML{0}</source>
        <translation>不是有效的 YAML{0}</translation>
    </message>
    <message>
        <source>is required for the s3 backend</source>
        <translation>是 s3 后端必需的</translation>
    </message>
    <message>
        <source>must be a mapping of KEY: value</source>
        <translation>必须是 KEY: value 形式的映射</translation>
    </message>
    <message>
        <source>must be a mapping of sections</source>
        <translation>必须是由分区组成的映射</translation>
    </message>
    <message>
        <source>must be a mapping of sections (COGNITO, STORAGE, ...)</source>
        <translation>必须是由分区（COGNITO、STORAGE……）组成的映射</translation>
    </message>
    <message>
        <source>must be a number</source>
        <translation>必须是数字</translation>
    </message>
    <message>
        <source>must be a number, got {0}</source>
        <translation>必须是数字，实际为 {0}</translation>
    </message>
    <message>
        <source>must be a whole number, got {0}</source>
        <translation>必须是整数，实际为 {0}</translation>
    </message>
    <message>
        <source>must be text, got {0}</source>
        <translation>必须是文本，实际为 {0}</translation>
    </message>
    <message>
        <source>must not be negative</source>
        <translation>不能为负数</translation>
    </message>
    <message>
        <source>no config file at {0}</source>
        <translation>{0} 处没有配置文件</translation>
    </message>
    <message>
        <source>none needed: {0}</source>
        <translation>不需要：{0}</translation>
    </message>
    <message>
        <source>not applicable: the storage is a local folder</source>
        <translation>不适用：存储是本地文件夹</translation>
    </message>
    <message>
        <source>not checked, because the {0} check did not pass</source>
        <translation>未检查，因为 {0} 检查没有通过</translation>
    </message>
    <message>
        <source>not checked: with static keys (R2, MinIO, or keys in the config) keeping users apart is the bucket operator's policy, e.g. a scoped token per user (see the README)</source>
        <translation>未检查：使用静态密钥（R2、MinIO 或配置中的密钥）时，用户之间的隔离由存储桶管理员的策略负责，例如为每个用户发放限定范围的令牌（见 README）</translation>
    </message>
    <message>
        <source>not needed: no COGNITO user pool configured</source>
        <translation>不需要：未配置 COGNITO 用户池</translation>
    </message>
    <message>
        <source>only one of the pair is set</source>
        <translation>这一对中只设置了一个</translation>
    </message>
    <message>
        <source>read back different bytes from {0}</source>
        <translation>从 {0} 读回的内容不一致</translation>
    </message>
    <message>
        <source>sign-in is not configured</source>
        <translation>未配置登录</translation>
    </message>
    <message>
        <source>signed in as {0} (identity {1})</source>
        <translation>已以 {0} 登录（身份 {1}）</translation>
    </message>
    <message>
        <source>signed in as {0}, this computer cannot list or read other users' folders under {1}, nor change the system avatars</source>
        <translation>以 {0} 登录时，这台电脑无法列出或读取 {1} 下其他用户的文件夹，也无法更改系统头像</translation>
    </message>
    <message>
        <source>task_id must be 32 hex digits.</source>
        <translation>task_id 必须是 32 位十六进制数字。</translation>
    </message>
    <message>
        <source>the hosted UI is not configured</source>
        <translation>未配置托管登录页面</translation>
    </message>
    <message>
        <source>the sign-in service does not know it</source>
        <translation>登录服务不认识它</translation>
    </message>
    <message>
        <source>the storage service did not report its time</source>
        <translation>存储服务没有报告它的时间</translation>
    </message>
    <message>
        <source>unknown backend {0}</source>
        <translation>未知的后端 {0}</translation>
    </message>
    <message>
        <source>unknown flow {0}</source>
        <translation>未知的登录流程 {0}</translation>
    </message>
    <message>
        <source>unknown key</source>
        <translation>未知的键</translation>
    </message>
    <message>
        <source>unknown section</source>
        <translation>未知的分区</translation>
    </message>
    <message>
        <source>wrote, read back and deleted {0}</source>
        <translation>已写入、读回并删除 {0}</translation>
    </message>
    <message>
        <source>{0} (from {1})</source>
        <translation>{0}（来自 {1}）</translation>
    </message>
    <message>
        <source>{0} already exists; it was left as it was.</source>
        <translation>{0} 已存在，未做改动。</translation>
    </message>
    <message>
        <source>{0} arrived damaged: the storage service's checksum of what it stored does not match the file.</source>
        <translation>{0} 传输后已损坏：存储服务对所存内容计算的校验和与文件不符。</translation>
    </message>
    <message>
        <source>{0} changed while uploading.</source>
        <translation>{0} 在上传过程中发生了变化。</translation>
    </message>
    <message>
        <source>{0} credentials: {1}; {2}</source>
        <translation>{0} 凭据：{1}；{2}</translation>
    </message>
    <message>
        <source>{0} did not answer with JSON.</source>
        <translation>{0} 的响应不是 JSON。</translation>
    </message>
    <message>
        <source>{0} does not match its recorded sha256 (it changed after import); nothing was uploaded.</source>
        <translation>{0} 与记录的 sha256 不符（导入后被改动过）；没有上传任何内容。</translation>
    </message>
    <message>
        <source>{0} has no picture on this computer.</source>
        <translation>{0} 在这台电脑上没有图片。</translation>
    </message>
    <message>
        <source>{0} has no video to save.</source>
        <translation>{0} 没有可保存的视频。</translation>
    </message>
    <message>
        <source>{0} is a file, not a folder</source>
        <translation>{0} 是文件，不是文件夹</translation>
    </message>
    <message>
        <source>{0} is a file; several avatars are saved into a folder.</source>
        <translation>{0} 是一个文件；多个头像需要保存到文件夹中。</translation>
    </message>
    <message>
        <source>{0} is a system avatar and cannot be changed.</source>
        <translation>{0} 是系统头像，不能修改。</translation>
    </message>
    <message>
        <source>{0} is not a bandwidth limit.</source>
        <translation>{0} 不是有效的带宽限制。</translation>
    </message>
    <message>
        <source>{0} is not a port</source>
        <translation>{0} 不是有效的端口</translation>
    </message>
    <message>
        <source>{0} is not a proxy address</source>
        <translation>{0} 不是有效的代理地址</translation>
    </message>
    <message>
        <source>{0} is not a region</source>
        <translation>{0} 不是有效的区域</translation>
    </message>
    <message>
        <source>{0} is not a safe folder name</source>
        <translation>{0} 不是安全的文件夹名</translation>
    </message>
    <message>
        <source>{0} is not a usable prefix ({1})</source>
        <translation>{0} 不是可用的前缀（{1}）</translation>
    </message>
    <message>
        <source>{0} is not a user pool id</source>
        <translation>{0} 不是用户池 ID</translation>
    </message>
    <message>
        <source>{0} is not a valid bucket name</source>
        <translation>{0} 不是有效的存储桶名称</translation>
    </message>
    <message>
        <source>{0} is not an http(s) URL</source>
        <translation>{0} 不是 http(s) 网址</translation>
    </message>
    <message>
        <source>{0} is not an https address</source>
        <translation>{0} 不是 https 地址</translation>
    </message>
    <message>
        <source>{0} is not an identity pool id</source>
        <translation>{0} 不是身份池 ID</translation>
    </message>
    <message>
        <source>{0} is not in the cloud yet, so it has no link.</source>
        <translation>{0} 还没有上传到云端，因此没有链接。</translation>
    </message>
    <message>
        <source>{0} is out of range</source>
        <translation>{0} 超出范围</translation>
    </message>
    <message>
        <source>{0} is over the {1} byte limit for it, so it was not read.</source>
        <translation>{0} 超过了 {1} 字节的上限，因此未读取。</translation>
    </message>
    <message>
        <source>{0} is reachable (listed {1})</source>
        <translation>{0} 可以访问（已列出 {1}）</translation>
    </message>
    <message>
        <source>{0} is the system avatars' folder</source>
        <translation>{0} 是系统头像的文件夹</translation>
    </message>
    <message>
        <source>{0} no longer exists; nothing was uploaded.</source>
        <translation>{0} 已不存在；没有上传任何内容。</translation>
    </message>
    <message>
        <source>{0} still exists after delete</source>
        <translation>{0} 删除后仍然存在</translation>
    </message>
    <message>
        <source>{0} was changed by someone else meanwhile.</source>
        <translation>{0} 在此期间已被别人更改。</translation>
    </message>
    <message>
        <source>{0} would send your sign-in tokens, password or keys in clear text over http</source>
        <translation>{0} 会通过 http 明文发送你的登录令牌、密码或密钥</translation>
    </message>
    <message>
        <source>{0}: cannot be read ({1})</source>
        <translation>{0}：无法读取（{1}）</translation>
    </message>
    <message>
        <source>{0}: could not be saved to the library ({1}).</source>
        <translation>{0}：无法保存到头像库（{1}）。</translation>
    </message>
    <message>
        <source>{0}: could not be written ({1}).</source>
        <translation>{0}：无法写入（{1}）。</translation>
    </message>
    <message>
        <source>{0}: no such file</source>
        <translation>{0}：文件不存在</translation>
    </message>
    <message>
        <source>{0}: not a regular file</source>
        <translation>{0}：不是普通文件</translation>
    </message>
    <message>
        <source>{0}: not an MP4 or WebM video</source>
        <translation>{0}：不是 MP4 或 WebM 视频</translation>
    </message>
    <message>
        <source>{0}: over the video limit</source>
        <translation>{0}：超出了视频大小限制</translation>
    </message>
    <message>
        <source>{0}: signed in as {1}, this computer could {2}</source>
        <translation>{0}：以 {1} 登录，这台电脑能够{2}</translation>
    </message>
    <message>
        <source>{0}: the disk is full; nothing was written.</source>
        <translation>{0}：磁盘已满，没有写入任何内容。</translation>
    </message>
    <message>
        <source>{0}: the file is empty (0 bytes)</source>
        <translation>{0}：文件为空（0 字节）</translation>
    </message>
    <message>
        <source>{0}: the library's file is missing.</source>
        <translation>{0}：头像库中的文件不见了。</translation>
    </message>
    <message>
        <source>{0}: there is no such folder.</source>
        <translation>{0}：没有这个文件夹。</translation>
    </message>
    <message>
        <source>{0}: too little free space on the disk holding the library ({1} MB needed).</source>
        <translation>{0}：头像库所在磁盘的可用空间不足（需要 {1} MB）。</translation>
    </message>
    <message>
        <source>{0}: you may not write in this folder.</source>
        <translation>{0}：你无权写入此文件夹。</translation>
    </message>
    <message>
        <source>{0}: {1}</source>
        <translation>{0}：{1}</translation>
    </message>
    <message>
        <source>{0}: {1} MB is over the {2} MB video limit</source>
        <translation>{0}：{1} MB 超过了 {2} MB 的视频大小限制</translation>
    </message>
    <message>
        <source>{0}; not needed: storage uses {1} credentials</source>
        <translation>{0}；不需要：存储使用 {1} 凭据</translation>
    </message>
    <message>
        <source>{0}; storage mode none: bucket '{1}' is set but {2}</source>
        <translation>{0}；存储模式 none：已设置存储桶 “{1}”，但{2}</translation>
    </message>
    <message>
        <source>{0}; storage mode {1}: {2}</source>
        <translation>{0}；存储模式 {1}：{2}</translation>
    </message>
</context>
</TS>