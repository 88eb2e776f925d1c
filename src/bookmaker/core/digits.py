"""The digits a language's books print page and note numbers in, and dates in the language
(month names from CLDR; Persian dates in the Solar Hijri calendar, Thai years in the Buddhist Era).

Persian books number their pages and notes in Persian digits (۱۲۳), most Arabic
books in Arabic-Indic ones (١٢٣), the Maghreb's in Western digits (CLDR's default
numbering systems). Other languages keep Western digits: Hindi, Thai and Chinese
books mostly print them too. `[terms] digits = "latin"` keeps Western digits in any
book. The names are CSS counter styles, which WeasyPrint knows (its html5_ua.css),
so page counters and the numbers bookmaker writes itself agree.
"""

from __future__ import annotations

import datetime
import re

SYMBOLS = {
    "persian": "۰۱۲۳۴۵۶۷۸۹",
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
}
_WESTERN_ARABIC = {"ma", "dz", "tn", "ly", "eh"}  # Arabic written with Western digits (CLDR)


def native_digits(lang: str, setting: str = "auto") -> str | None:
    """The counter style of the book's digits, or None for Western digits."""
    if setting == "latin":
        return None
    parts = [p.lower() for p in lang.replace("_", "-").split("-") if p]
    if not parts:
        return None
    if parts[0] == "fa":
        return "persian"
    if parts[0] == "ar" and not _WESTERN_ARABIC & set(parts[1:]):
        return "arabic-indic"
    return None


def in_digits(text: object, style: str | None) -> str:
    """`text` with its Western digits written in `style`'s ("persian": 12 -> ۱۲)."""
    text = str(text)
    if style is None or style not in SYMBOLS:
        return text
    return text.translate(str.maketrans("0123456789", SYMBOLS[style]))


# Month names (CLDR's "format wide" forms, Gregorian calendar) and how a date is written.
_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
    "tr": "Ocak Şubat Mart Nisan Mayıs Haziran Temmuz Ağustos Eylül Ekim Kasım Aralık",
    "fa": "ژانویه فوریه مارس آوریل مه ژوئن ژوئیه اوت سپتامبر اکتبر نوامبر دسامبر",
    "ar": "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
    "he": "בינואר בפברואר במרץ באפריל במאי ביוני ביולי באוגוסט בספטמבר באוקטובר בנובמבר בדצמבר",
    "th": "มกราคม กุมภาพันธ์ มีนาคม เมษายน พฤษภาคม มิถุนายน กรกฎาคม สิงหาคม กันยายน ตุลาคม พฤศจิกายน ธันวาคม",
    "hi": "जनवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्तूबर नवंबर दिसंबर",
}
# {d} day, {m} month name, {n} month number, {y} year; CLDR's long date patterns.
_PATTERNS = {
    "en": "{m} {d}, {y}", "de": "{d}. {m} {y}", "es": "{d} de {m} de {y}", "pt": "{d} de {m} de {y}",
    "ru": "{d} {m} {y} г.", "pl": "{d} {m} {y}", "fa": "{d} {m} {y}", "ar": "{d} {m} {y}",
    "he": "{d} {m} {y}", "th": "{d} {m} พ.ศ. {be}", "ja": "{y}年{n}月{d}日", "zh": "{y}年{n}月{d}日", "ko": "{y}년 {n}월 {d}일",
}
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def local_date(value: str, lang: str, digits: str | None = None) -> str:
    """A front-matter date written as the book's language writes it: 2024-05-01 -> "1 mai 2024",
    "2024年5月1日", "۱ مه ۲۰۲۴". Anything but a full ISO date is printed as given."""
    match = _ISO_DATE.fullmatch(value.strip())
    if not match:
        return value
    try:
        date = datetime.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return value
    primary = lang.replace("_", "-").split("-")[0].lower()
    if primary == "fa" and "af" not in lang.lower().split("-")[1:]:
        return in_digits(_solar_hijri(date), digits)  # Iran's books are dated in the Solar Hijri calendar
    months = _MONTHS.get(primary, "").split()
    pattern = _PATTERNS.get(primary, "{d} {m} {y}" if months else "{y}-{n:02}-{d:02}")
    month = months[date.month - 1] if months else ""
    if lang.lower().startswith(("en-gb", "en-au", "en-nz", "en-ie", "en-in")):
        pattern = "{d} {m} {y}"  # English outside North America puts the day first
    # Thai dates count the years of the Buddhist Era (CLDR's preferred calendar for Thailand).
    text = pattern.format(d=date.day, m=month, n=date.month, y=date.year, be=date.year + 543)
    return in_digits(text, digits)


# The Solar Hijri (Persian) calendar: its years begin at the March equinox, Nowruz. The years whose
# day of Nowruz moves follow the 33-year cycles between these break years (Borkowski's arithmetic,
# as jalaali-js and CLDR's calendar code compute it).
_BREAKS = (-61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324, 2394, 2456,
           3178)
_PERSIAN_MONTHS = "فروردین اردیبهشت خرداد تیر مرداد شهریور مهر آبان آذر دی بهمن اسفند".split()


def _div(a: int, b: int) -> int:
    return int(a / b)  # toward zero, as the algorithm's integer division


def _nowruz(jy: int) -> datetime.date:
    """The Gregorian day on which the Solar Hijri year `jy` begins (1 Farvardin)."""
    leap_j, jp, jump = -14, _BREAKS[0], 0
    for jm in _BREAKS[1:]:
        jump = jm - jp
        if jy < jm:
            break
        leap_j += _div(jump, 33) * 8 + _div(jump % 33, 4)
        jp = jm
    n = jy - jp
    leap_j += _div(n, 33) * 8 + _div(n % 33 + 3, 4)
    if jump % 33 == 4 and jump - n == 4:
        leap_j += 1
    gy = jy + 621
    leap_g = _div(gy, 4) - _div((_div(gy, 100) + 1) * 3, 4) - 150
    return datetime.date(gy, 3, 20 + leap_j - leap_g)


def _solar_hijri(date: datetime.date) -> str:
    """`date` in the Solar Hijri calendar, as Persian writes it: "۱۲ اردیبهشت ۱۴۰۳"."""
    jy = date.year - 621
    start = _nowruz(jy)
    if date < start:
        jy -= 1
        start = _nowruz(jy)
    k = (date - start).days
    month, day = (k // 31, k % 31) if k <= 185 else (6 + (k - 186) // 30, (k - 186) % 30)
    return f"{day + 1} {_PERSIAN_MONTHS[month]} {jy}"
