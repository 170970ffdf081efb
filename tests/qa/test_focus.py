"""The span that answers: the number, date, place or name asked for, never the question's words."""

from __future__ import annotations

from collections.abc import Callable

from qa.focus import find_focus
from qa.question import analyse


def rare(term: str) -> float:
    """A stand-in for the index's idf: every term equally rare."""
    return 5.0


def focus_of(question: str, text: str, idf: Callable[[str], float] = rare) -> str:
    f = find_focus(analyse(question), text, 0, len(text), idf)
    assert f is not None, (question, text)
    return text[f.start : f.end]


def test_how_many_takes_the_count_not_the_questions_year() -> None:
    text = "وفي عام 2021 بلغ عدد الزوار 3500 زائر حسب الإحصاءات الرسمية."
    assert focus_of("كم بلغ عدد الزوار عام 2021؟", text) == "3500"
    assert focus_of("كم يقدر عدد المتضررين؟", "يقدر عدد المتضررين بنحو سبعة ملايين شخص.") == (
        "سبعة ملايين"
    )


def test_how_many_with_scale_words() -> None:
    text = "وقدرت قيمة الصفقة بنحو 4 ملايين دينار بحسب الوزارة."
    assert focus_of("كم تبلغ قيمة الصفقة؟", text) == "4 ملايين دينار"


def test_when_takes_the_date() -> None:
    text = "وأعلنت الوزارة أن القرار يدخل حيز التنفيذ يوم 26 جويلية 2016 في كامل الولايات."
    assert focus_of("متى يدخل القرار حيز التنفيذ؟", text) == "26 جويلية 2016"


def test_where_takes_the_place_after_a_preposition_not_the_one_asked_about() -> None:
    text = "والتقى وزير خارجية فرنسا نظيره المغربي في الرباط يوم الأحد."
    assert focus_of("أين التقى وزير خارجية فرنسا نظيره؟", text) == "الرباط"


def test_who_takes_the_name_after_the_title_not_the_question() -> None:
    text = "ودعا رئيس البرلمان الأوروبي أنطونيو تاياني إلى اجتماع عاجل."
    got = focus_of("من هو رئيس البرلمان الأوروبي الذي دعا إلى اجتماع عاجل؟", text)
    assert "تاياني" in got
    assert "رئيس" not in got and "البرلمان" not in got


def test_which_takes_the_named_thing() -> None:
    text = "وتوفيت الممرضة في مستشفى القصرين الجهوي بعد إصابتها."
    assert focus_of("في أي مستشفى توفيت الممرضة؟", text).startswith("مستشفى القصرين")


def test_why_takes_the_cause() -> None:
    text = "وتقرر إيقاف المدرب عن العمل بسبب تأخر الفريق في الوصول إلى الملعب."
    assert focus_of("لماذا تقرر إيقاف المدرب؟", text).startswith("بسبب تأخر")


def test_who_takes_the_name_set_off_by_commas_beside_the_office_asked() -> None:
    # The office after the name, in apposition.
    text = "وأعلن خالد العنزي، وزير الصحة، أن المستشفى سيفتح أبوابه الأسبوع المقبل."
    assert focus_of("من هو وزير الصحة الذي أعلن افتتاح المستشفى؟", text) == "خالد العنزي"
    # The office before the name.
    text = "وقال وزير الخارجية، سمير الحداد، إن المحادثات ستستأنف غدا في الدوحة."
    assert focus_of("مين وزير الخارجية اللي قال إن المحادثات ستستأنف؟", text) == "سمير الحداد"


def test_who_skips_a_titles_complement_and_is_not_fooled_by_a_preposition() -> None:
    text = "وقررت الهيئة تكليف القيادي بالحزب رامي الشابي بتسيير شؤون الحزب إلى حين انعقاد المؤتمر."
    assert focus_of("من كلفت الهيئة بتسيير شؤون الحزب؟", text) == "رامي الشابي"
    # «أمام» (in front of) is not the title «الإمام».
    text = "وتحدث الوفد أمام البرلمان المحلي عن خطة الإصلاح التي أعدها المهندس وليد القاسمي."
    assert focus_of("من أعد خطة الإصلاح؟", text) == "وليد القاسمي"


def test_why_takes_the_purpose_too() -> None:
    text = "ووقف اللاعبون دقيقة صمت ترحماً على روح المدرب الراحل قبل انطلاق المباراة."
    assert focus_of("لماذا وقف اللاعبون دقيقة صمت؟", text).startswith("ترحماً على روح")
    text = "وتجمع مئات الطلبة أمام الوزارة احتجاجا على قرار رفع الرسوم الجامعية."
    assert focus_of("علاش تجمع الطلبة أمام الوزارة؟", text).startswith("احتجاجا على قرار")


def test_where_takes_a_place_named_by_its_head_noun() -> None:
    # Streets, stadiums, camps… are in no gazetteer: the head noun and the words naming it.
    text = "وانفجرت عبوة ناسفة صباح اليوم قرب مدخل شارع الجمهورية وسط العاصمة."
    assert focus_of("فين انفجرت العبوة الناسفة؟", text) == "شارع الجمهورية"
    text = "وتقام المباراة النهائية يوم الأحد بالملعب الأولمبي برادس أمام جمهور غفير."
    assert focus_of("وين تتلعب المباراة النهائية؟", text) == "بالملعب الأولمبي برادس"
    text = "ودرس الطب في جامعة 6 أكتوبر قبل أن يسافر إلى الخارج."
    assert focus_of("أين درس الطب؟", text) == "جامعة 6 أكتوبر"


def test_ordinary_words_are_not_places() -> None:
    from qa.places import find_places

    # «فرقة» is not «ف» + «رقة» (Raqqa is «الرقة»), «ألم» is pain not Ulm, «أمل» hope not Amol.
    text = "وقالت فرقة الأبحاث إن النبأ أثار ألما وأملا في الرقة وبغزة وبتونس."
    assert [text[a:b] for a, b in find_places(text)] == ["الرقة", "غزة", "تونس"]


def test_how_many_takes_the_number_of_what_is_counted_with_it() -> None:
    text = "وقال المنظمون إن 70 مشاركا من حوالي 30 دولة يحضرون فعاليات المؤتمر."
    assert focus_of("كم مشارك يحضر فعاليات المؤتمر؟", text) == "70 مشاركا"
    assert focus_of("كم دولة تحضر فعاليات المؤتمر؟", text) == "30 دولة"
    assert focus_of("قداش من مشارك في المؤتمر؟", text) == "70 مشاركا"


def test_how_many_counts_the_noun_in_either_number() -> None:
    # Asked «كم مقعدا», the article says «9 مقاعد»; «12» is nearer the question's words.
    text = "وحصل الحزب في 12 دائرة انتخابية على 9 مقاعد في المجلس البلدي."
    assert focus_of("كم مقعدا حصل عليه الحزب؟", text) == "9 مقاعد"
    text = "وأسفر الهجوم الذي استمر 3 ساعات عن سقوط 14 قتيلا."
    assert focus_of("كم عدد القتلى في الهجوم؟", text) == "14 قتيلا"


def test_how_many_takes_a_count_that_goes_on_past_its_unit() -> None:
    text = "وأوضح أن عدد الزوار بلغ 4 ملايين و800 ألف زائر خلال السنة."
    assert focus_of("كم زائرا جاء خلال السنة؟", text) == "4 ملايين و800 ألف زائر"
    text = "وقدرت قيمة البضاعة المحجوزة بمليون و260 ألف دينار."
    assert focus_of("كم تبلغ قيمة البضاعة المحجوزة؟", text) == "مليون و260 ألف"


def test_how_many_prefers_the_bare_number_of_what_is_counted_over_a_bigger_sum() -> None:
    text = "وحجزت الوحدات 27 علبة من الذهب تقدر قيمتها الجملية بمليون و260 ألف دينار."
    assert focus_of("كم علبة حجزت الوحدات؟", text) == "27 علبة"
    assert focus_of("كم تقدر قيمة العلب المحجوزة؟", text) == "مليون و260 ألف"


def test_how_many_reads_a_number_word_behind_a_preposition() -> None:
    text = "وفاز الحزب في الانتخابات البلدية بثمانية مقاعد، وقال رئيسه لست راضيا."
    assert focus_of("كم مقعدا فاز به الحزب؟", text) == "ثمانية مقاعد"
    assert focus_of("كم عدد المقاعد التي فاز بها الحزب؟", text) == "ثمانية مقاعد"


def test_who_takes_the_name_after_an_office_and_its_comma() -> None:
    # «رئيس الحكومة، يوسف …»: the office is not what is asked, the name still follows it.
    text = "ومن المنتظر أن يشرف رئيس الحكومة، يوسف الهاشمي، يوم الخميس على افتتاح المعرض."
    names = {"يوسف", "هاشمي"}

    def idf(term: str) -> float:
        return 8.0 if any(n in term or term in n for n in names) else 2.0

    assert focus_of("شكون باش يشرف على افتتاح المعرض؟", text, idf) == "يوسف الهاشمي"


def test_when_takes_the_weekday_with_its_date() -> None:
    text = "تنفذ سيارات الأجرة بسوسة اليوم الاثنين 10 أكتوبر 2016 إضرابا عاما."
    assert focus_of("وقتاش تنفذ سيارات الأجرة بسوسة إضرابا؟", text) == "الاثنين 10 أكتوبر 2016"


def test_who_takes_the_doer_before_a_relative_pronoun() -> None:
    text = "وستصل القافلة بسلام إن لم تعترض من قبل الجماعات المسلحة التي هددت بمنعها من العبور."
    common = {"سلام", "عبور", "منع"}

    def idf(term: str) -> float:
        return 2.0 if any(c in term for c in common) else 6.0

    assert focus_of("شكون هدد بمنع القافلة؟", text, idf) == "الجماعات المسلحة"


def test_when_takes_a_month_given_in_two_calendars() -> None:
    text = (
        "وقبل أيام من موعد الانتخابات الرئاسية المرتقبة في 21 يوليو (تموز) الحالي، خرج المعارضون."
    )
    assert focus_of("متى موعد الانتخابات الرئاسية؟", text) == "21 يوليو (تموز)"


def test_who_keeps_a_common_first_name_after_the_question_words() -> None:
    text = "وأوضح مدير فنون أبها أحمد السروي أن الجمعية تقيم الاحتفال كل عام."
    common = {"احمد", "اوضح", "جمعي", "احتفال", "عام"}

    def idf(term: str) -> float:
        return 2.0 if any(c in term for c in common) else 7.0

    assert focus_of("مين مدير فنون أبها؟", text, idf) == "أحمد السروي"


def test_name_after_a_naming_word() -> None:
    text = "وأطلقت الشركة خدمة جديدة تحمل اسم بوابة الزوار وستكون متاحة للجميع."
    assert focus_of("ما اسم الخدمة الجديدة التي أطلقتها الشركة؟", text).startswith("بوابة الزوار")
    # The name may hold the question's own words.
    text = "وأطلقت الوزارة تطبيقا يحمل اسم بوابة المواطن ويتيح متابعة الملفات."
    assert focus_of("ما اسم التطبيق الذي أطلقته الوزارة للمواطن؟", text) == "بوابة المواطن"


def test_a_clause_after_the_office_is_no_name_given_with_it() -> None:
    # The window starts at the office; what follows «أنه» is a clause, not the office holder.
    text = "رئيس الوزراء، أنه يتابع تداعيات الحادث مع الوزراء والجهات المعنية."
    f = find_focus(analyse("مين رئيس الوزراء اللي تابع الحادث؟"), text, 0, len(text), rare)
    assert f is None or not f.office_asked


def test_who_takes_the_full_name_right_before_the_office_asked() -> None:
    text = "وصرح إياد الدهماني المتحدث الرسمي باسم الحكومة بأن القرار نهائي."
    common = {"صرح", "رسم", "قرار", "نهاي"}

    def idf(term: str) -> float:
        return 2.0 if term in common else 6.0

    assert focus_of("من هو المتحدث باسم الحكومة؟", text, idf) == "إياد الدهماني"


def test_who_is_a_named_person_takes_what_they_are_not_another_name() -> None:
    text = "سامي الحداد (3 مارس 1950 - 8 يونيو 2019)، مهندس معماري تونسي، صمم جامع المدينة."
    assert focus_of("من هو سامي الحداد؟", text) == "مهندس معماري تونسي"
    text = "هو أول مهندس عربي يفوز بجائزة بريتزكر. وصمم سامي الحداد جامع المدينة."
    assert focus_of("مين هو سامي الحداد؟", text) == "أول مهندس عربي يفوز بجائزة بريتزكر"
    # An office asks for a name.
    text = "وقال رئيس الوزراء سامي الحداد إن المشروع سيكتمل."
    assert focus_of("من هو رئيس الوزراء؟", text) == "سامي الحداد"


def test_when_takes_a_year_with_its_era() -> None:
    assert focus_of("متى استوطن البحارة الجزيرة؟", "استوطن البحارة الجزيرة في 874م.") == "874م"
    text = "وانتهى حصار المدينة في عام 1529م بعد شهرين."
    assert focus_of("متى انتهى حصار المدينة؟", text) == "عام 1529م"
    text = "وبني المعبد في العام 280 قبل الميلاد على الساحل."
    assert focus_of("متى بني المعبد؟", text) == "عام 280 قبل الميلاد"


def test_when_born_or_died_takes_that_side_of_the_life_dates() -> None:
    text = "سعيد الفاسي (27 مايو 1332 - 19 مارس 1406)، مؤرخ ولد في تونس."
    assert focus_of("متى ولد سعيد الفاسي؟", text) == "27 مايو 1332"
    assert focus_of("في أي عام توفي سعيد الفاسي؟", text) == "19 مارس 1406"


def test_where_is_a_country_takes_the_region_with_its_directions() -> None:
    text = "وادي الريح دولة جبلية تقع في أقصى غرب شمال أفريقيا، عاصمتها مدينة النخيل."
    assert focus_of("أين تقع وادي الريح؟", text) == "أقصى غرب شمال أفريقيا"
    text = "جزر الغيم أرخبيل يقع في جنوب المحيط الهندي."
    assert focus_of("وين تقع جزر الغيم؟", text) == "جنوب المحيط الهندي"


def test_a_persian_spelling_of_a_city_is_no_arabic_word() -> None:
    # GeoNames' «دوله» (Dhule) and «الجزیره» (Algiers) fold to «دولة» and «الجزيرة».
    text = "وصرح مدير قناة الجزيرة بأن دولة قطر تدعم الصحافة."
    assert focus_of("أين صرح مدير القناة؟", text, rare) != "الجزيرة"


def test_a_number_in_the_clause_of_the_one_asked_about_beats_a_nearer_one() -> None:
    # Asked about Salem, «حصلت» sits next to Rim's number.
    text = (
        "وكان سالم قد تصدر الجولة الأولى للانتخابات وحصد 24.01% من الأصوات فيما حصلت ريم على "
        "أصوات 21.30% من الناخبين."
    )
    names = {"سالم", "ريم"}

    def idf(term: str) -> float:
        return 8.0 if term in names else 2.0

    assert focus_of("ما نسبة الأصوات التي حصل عليها سالم؟", text, idf) == "24.01%"
    assert focus_of("ما نسبة الأصوات التي حصلت عليها ريم؟", text, idf) == "21.30%"


def test_how_many_is_no_share_unless_a_share_is_asked() -> None:
    text = "وارتفع عدد الزوار الجزائريين بنسبة 15 بالمائة ليبلغ مليون و250 ألف زائر."
    assert focus_of("كم عدد الزوار الجزائريين؟", text) == "مليون و250 ألف"
    assert focus_of("ما نسبة ارتفاع عدد الزوار الجزائريين؟", text) == "15 بالمائة"


def test_a_range_is_answered_whole() -> None:
    text = "وسقط في الهجوم ما بين 10 و15 قتيلا حسب مصادر طبية."
    assert focus_of("كم قتيلا سقط في الهجوم؟", text) == "10 و15 قتيلا"
    text = "وقد اضطربت المنطقة بين عامي 1908 و 1914، بسبب الحروب."
    assert focus_of("متى اضطربت المنطقة؟", text) == "1908 و 1914"


def test_the_counted_noun_itself_does_not_pull_the_count_towards_it() -> None:
    text = "وحصل الحزب على 9 مقاعد من أصل 40 مقعدا."
    assert focus_of("كم مقعدا حصل عليه الحزب؟", text) == "9 مقاعد"


def test_a_measure_is_no_year_and_keeps_its_unit() -> None:
    # 1800 and 1000 look like years; with their unit after them they are amounts.
    text = "أنجزت الشركة 30 مشروعا، وبلغت تكلفة الطريق الجديد 1800 دينار للمتر الواحد."
    assert focus_of("كم بلغت تكلفة الطريق الجديد؟", text) == "1800 دينار"
    text = "وتمت حراسة الساحل على طول مسافة تفوق 1000 كلم، مع بناء 12 برجا للمراقبة."
    assert focus_of("ما طول الساحل الذي تمت حراسته؟", text) == "1000 كلم"


def test_a_unit_that_is_what_is_counted_still_counts_first() -> None:
    text = "وصلت 12 شاحنة إلى الميناء محملة بنحو 350 طنا من القمح."
    assert focus_of("كم طنا من القمح وصلت إلى الميناء؟", text) == "350 طنا"


def test_who_takes_the_name_after_the_office_asked_not_another_titled_name() -> None:
    text = "وطالبت النائبة هالة الزغلامي بمساءلة وزير النقل والموانئ كريم البحيري حول تأخر الرحلات."
    assert focus_of("من هو وزير النقل والموانئ؟", text) == "كريم البحيري"


def test_who_keeps_a_name_joined_by_bin_and_al_whole() -> None:
    text = "واستقبل الرئيس الضيف الشيخ منصور بن حمد بن راشد آل ثاني، وزير الطاقة القطري، أمس."
    assert focus_of("من هو وزير الطاقة القطري؟", text) == "منصور بن حمد بن راشد آل ثاني"


def test_why_takes_a_purpose_given_as_a_verbal_noun() -> None:
    text = "وشددت السلطات المراقبة على المعابر توقيا من تسلل المهربين خلال العطلة."
    assert focus_of("لماذا شددت السلطات المراقبة على المعابر؟", text).startswith(
        "توقيا من تسلل المهربين"
    )


def test_who_takes_the_name_of_the_office_asked_not_of_another_office_beside_it() -> None:
    text = "وانتقد القرار إعفاء وزير الصحة سمير بلحاج ووزيرة الثقافة، هند المرزوقي، من مهامهما."

    def idf(term: str) -> float:
        # The other minister's name is the rarer one.
        return 9.0 if term in ("هند", "مرزوق", "مرزوقي") else 5.0

    assert focus_of("شكون وزير الصحة؟", text, idf) == "سمير بلحاج"


def test_who_keeps_a_surname_with_a_common_stem_after_a_title() -> None:
    text = (
        "وقال الكاتب العام المساعد لنقابة أعوان الموانئ بصفاقس كمال الشعباني في تصريح إذاعي "
        "إن الإضراب متواصل."
    )
    common = {"شعب", "قال", "تصريح", "اذاع", "اضراب"}

    def idf(term: str) -> float:
        return 2.0 if any(c in term for c in common) else 6.0

    question = "من هو الكاتب العام المساعد لنقابة أعوان الموانئ بصفاقس؟"
    assert focus_of(question, text, idf) == "كمال الشعباني"


def test_a_scale_written_against_its_number_and_a_maghrebi_currency() -> None:
    text = "وعرض النادي انتداب المهاجم لمدة 6اشهر بمبلغ قيمته 2.5مليون أورو مع خيار الشراء."
    assert focus_of("بكم عرض النادي انتداب المهاجم؟", text) == "2.5مليون أورو"


def test_a_participle_after_the_name_is_not_part_of_it() -> None:
    text = "وطالب النواب بسحب الثقة من وزير التجهيز فوزي بن سالم الخميري موجهة له تهما بالتقصير."

    def idf(term: str) -> float:
        # The participle is rarer than the name's parts: rarity alone would keep it.
        return 9.0 if term.startswith("موجه") else 5.0

    assert focus_of("من هو وزير التجهيز؟", text, idf) == "فوزي بن سالم الخميري"
    # A foreign surname written with «ه» is kept («مورسه», Morse).
    text = "وأعلن مدير المخبر جون بول مورسه أن التجربة نجحت."
    assert focus_of("من هو مدير المخبر؟", text) == "جون بول مورسه"


def test_since_when_takes_how_long_ago() -> None:
    text = "افتتح الوزير أمس الاثنين المكتبة البلدية الموجودة منذ 40 عاما في وسط المدينة."
    assert focus_of("منذ متى توجد المكتبة البلدية؟", text) == "منذ 40 عاما"
    # «منذ عام 2011» is a date.
    text = "وأضاف أن العمال ينتظرون تسوية وضعياتهم منذ عام 2011 دون جدوى."
    assert focus_of("منذ متى ينتظر العمال تسوية وضعياتهم؟", text) == "عام 2011"
    # After «و» too, and the day of the report is no answer: «منذ الاثنين» is.
    text = "افتتح الوزير أمس الاثنين المكتبة البلدية الموجودة منذ 40 عاما في وسط المدينة."
    assert focus_of("ومنذ متى توجد المكتبة؟", text) == "منذ 40 عاما"
    question = analyse("ومنذ متى يضرب العمال؟")
    text = "وقال المتحدث اليوم الاثنين إن العمال يضربون عن العمل."
    found = find_focus(question, text, 0, len(text), rare)
    assert found is not None and not found.typed
    text = "وقال المتحدث إن العمال يضربون عن العمل منذ الاثنين الماضي."
    found = find_focus(question, text, 0, len(text), rare)
    assert found is not None and found.typed and text[found.start : found.end] == "الاثنين"


def test_monday_is_no_count_and_an_accusative_noun_is_what_is_counted() -> None:
    text = "وقال المتحدث اليوم الاثنين إن 48 شخصا على الأقل لقوا حتفهم في الانهيار."
    # «الاثنين» (Monday) is not «اثنين» (two); the accusative noun after the number is what
    # it counts, when the question's own counted noun is not there.
    assert focus_of("كم بلغ عدد ضحايا الانهيار؟", text) == "48 شخصا"
    assert focus_of("How many died in the collapse?", text) == "48 شخصا"
    # An adverb after the number is not counted.
    text = "وبلغ عدد الزوار 3500 تقريبا خلال أيام المعرض."
    assert focus_of("كم بلغ عدد الزوار؟", text) == "3500"


def test_who_takes_the_name_after_the_office_asked_and_its_nationality() -> None:
    # «النجم» is a title too, but the question asks for «الحكم» (its first title), and
    # «المصري» belongs to the title, not to the name or to a name before it.
    text = (
        "ويستقبل النجم الساحلي نادي الأمل في مباراة الجولة الثالثة بإدارة الحكم المصري محمد معروف ."
    )
    assert focus_of("مين الحكم اللي هيدير ماتش النجم؟", text) == "محمد معروف"


def test_who_takes_the_two_words_before_an_office_in_the_accusative() -> None:
    text = "وأعلن الحزب أنه تقرر تعيين رضا بالحاج رئيسا للهيئة السياسية."
    assert focus_of("شكون عينوا رئيس الهيئة السياسية؟", text) == "رضا بالحاج"


def test_an_office_after_li_belongs_to_another_title() -> None:
    # «المساعد الأول لرئيس البلدية محمد قزارة»: Qazara is the assistant, not the mayor.
    text = "وفق ما أكده المساعد الأول لرئيس البلدية محمد قزارة."
    found = find_focus(analyse("من هو رئيس البلدية؟"), text, 0, len(text), rare)
    assert found is None or not found.office_asked
    # The mayor named earlier in the passage, set off by a comma before the title.
    text = (
        "اعتدى مواطنون على الحبيب الميلي، رئيس البلدية، وفق ما أكده المساعد الأول لرئيس "
        "البلدية محمد قزارة. ورفع رئيس البلدية بعد ذلك قضية ضد المعتدين."
    )
    start = text.index("ورفع")
    found = find_focus(analyse("ومن هو رئيس البلدية؟"), text, start, len(text), rare)
    assert found is not None and text[found.start : found.end] == "الحبيب الميلي"


def test_an_age_a_first_of_the_month_and_a_cathedral() -> None:
    text = "احتج مواطن يبلغ من العمر 43 سنة أمام مقر الولاية."
    assert focus_of("كم عمر المواطن الذي احتج؟", text) == "43 سنة"
    text = "وقررت الهيئة الانطلاق في توزيع البطاقات بداية من غرة أفريل 2016."
    assert focus_of("متى يبدأ توزيع البطاقات؟", text) == "غرة أفريل 2016"
    text = "وعثرت الشرطة على السيارة بالقرب من كاتدرائية نوتردام في باريس."
    assert focus_of("أين عثرت الشرطة على السيارة في باريس؟", text) == "كاتدرائية نوتردام"


def test_an_ordinal_is_no_count_unless_a_rank_is_asked() -> None:
    text = "وتخرجت الدورة الحادية عشرة من المركز وعددهم (24) خريجاً."
    assert focus_of("كم مستفيدا تخرج من المركز؟", text) == "24"
    # With the article before a big unit it is still a count.
    text = "وضبطت الديوانة عملة صعبة تناهز قيمتها الأربعة ملايين دينار."
    assert focus_of("كم تناهز قيمة العملة المهربة؟", text) == "الأربعة ملايين"
    text = "وأصبح الرئيس الثاني عشر للجمهورية منذ 28 أغسطس 2014."
    assert focus_of("هو الرئيس رقم كم للجمهورية؟", text) == "الثاني عشر"


def test_the_name_given_earlier_with_the_title_not_a_clause_after_it() -> None:
    # «رئيسها» ("its head") names no one after it, and the two rare words after the title
    # are the name, closed by a commoner verb.
    text = (
        "ذكر تقرير أن رئيس شركة توشيبا هيساو تاناكا يعتزم الاستقالة من منصبه. وشملت الفضيحة "
        "مسؤولين بينهم رئيسها ويتوقع أن تعلن الشركة ذلك قريبا. رابط الخبر: رئيس «توشيبا» يعتزم "
        "الاستقالة."
    )
    common = {"ذكر", "تقرير", "شرك", "يعتزم", "استقال", "منصب", "مسؤول", "فضيح", "يتوقع"}

    def idf(term: str) -> float:
        return 3.0 if term in common else 8.0

    start = text.rindex("رابط")
    question = analyse("ووش اسمه؟", [("ليش رئيس توشيبا بيستقيل؟", "بسبب مخالفات حسابية")])
    found = find_focus(question, text, start, len(text), idf)
    assert found is not None and text[found.start : found.end] == "هيساو تاناكا"
