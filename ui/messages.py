"""The page's Arabic words: Gradio's own interface strings, the welcome, and errors by type."""

from __future__ import annotations

from index.errors import IndexStoreError, StoreConnectionError
from qa.errors import BadHistory, EmptyQuestion, QuestionError, QuestionTooLong

# Gradio's own interface words, in Arabic whatever the browser's language.
GRADIO_STRINGS_AR = {
    "upload_text.drop_file": "أسقط الملفات هنا",
    "upload_text.click_to_upload": "انقر لاختيار الملفات",
    "common.or": "أو",
    "common.clear": "مسح",
    "common.remove": "إزالة",
    "common.download": "تنزيل",
    "common.error": "خطأ",
    "common.loading": "جارٍ التحميل",
    "chatbot.clear": "مسح المحادثة",
    "chatbot.copy_message": "نسخ الرسالة",
    "chatbot.copied_message": "نُسخت الرسالة",
    "file.uploading": "جارٍ الرفع…",
}

WELCOME = (
    "<div class='akhbar-welcome'><strong>مرحباً!</strong><br>"
    "اسأل عن أي خبر في المقالات المفهرسة، أو ابدأ بأحد الأمثلة.</div>"
)


def friendly_error(exc: BaseException) -> str:
    """An Arabic explanation of why a question got no answer (never a stack trace).

    The exception's type decides the message; its (English) text is never read.

    Args:
        exc: What went wrong.

    Returns:
        A message for the chat.
    """
    if isinstance(exc, QuestionTooLong):
        return f"السؤال طويل جداً ({exc.length} حرفاً، والحد {exc.limit}). اختصره وأعد المحاولة."
    if isinstance(exc, EmptyQuestion):
        return "السؤال فارغ أو بلا كلمات: اكتب سؤالاً عن الأخبار المفهرسة."
    if isinstance(exc, BadHistory):
        return "تعذّر فهم سياق المحادثة. ابدأ «محادثة جديدة» وأعد طرح السؤال."
    if isinstance(exc, QuestionError):
        return "تعذّر قبول هذا السؤال. أعد صياغته وحاول مرة أخرى."
    if isinstance(exc, StoreConnectionError):
        return (
            "تعذّر الوصول إلى قاعدة بيانات الفهرس (PostgreSQL). أعد المحاولة بعد قليل؛ "
            "وإن تكرر ذلك فتحقق من تشغيل الخادم ومن AKHBAR_STORE__DSN."
        )
    if isinstance(exc, IndexStoreError):
        return (
            "الفهرس غير متاح الآن (لم يُبنَ بعد، أو يجري تحديثه، أو بُني بنموذج آخر). "
            "أعد المحاولة بعد قليل، أو أعد بناءه بالأمر: akhbar index build"
        )
    return "حدث خطأ غير متوقع أثناء البحث عن الإجابة. حاول مرة أخرى بعد قليل."
