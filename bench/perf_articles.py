"""The article set of the performance benchmark: French and English news texts of a chosen
length, composed from the paragraphs below (repeated and reordered), plus the project's
French sample article when ``../shared`` is there.

Every composed text is deterministic for its (language, length, seed); a ``tag`` adds a last
line of its own so that each text has a cache key of its own (uncached runs).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "samples" / "fr-russie-ukraine.txt"

HEADLINES = {
    "fr": (
        "Sanctions : l'Union européenne durcit le ton face à Moscou",
        "Énergie : Berlin et Paris cherchent une réponse commune à la hausse des prix",
        "Ukraine : les négociations reprennent à Genève sous l'égide de l'ONU",
    ),
    "en": (
        "Washington weighs new sanctions as talks with Moscow stall",
        "European leaders split over energy price cap",
        "UN envoy says Geneva talks on Ukraine will resume next week",
    ),
}

PARAGRAPHS = {
    "fr": (
        "Le président français Emmanuel Macron a reçu mardi à l'Élysée le chancelier allemand "
        "Olaf Scholz pour préparer le sommet européen de la semaine prochaine. Les deux "
        "dirigeants ont affirmé que l'Union européenne resterait unie face à la Russie et "
        "qu'elle soutiendrait l'Ukraine aussi longtemps qu'il le faudrait.",
        "À Moscou, le porte-parole du Kremlin, Dmitri Peskov, a dénoncé des sanctions "
        "« illégales » et accusé les Occidentaux de vouloir affaiblir l'économie russe. Selon "
        "lui, la Russie ne cédera à aucune pression et continuera de défendre ses intérêts.",
        "Le secrétaire général de l'OTAN, Jens Stoltenberg, a averti que l'Alliance renforcerait "
        "sa présence militaire en Pologne et dans les pays baltes. « Nous ne laisserons aucun "
        "allié sans protection », a-t-il déclaré lors d'une conférence de presse à Bruxelles.",
        "Les prix du gaz ont encore augmenté de 12 % sur le marché européen, ce qui inquiète les "
        "industriels. La Commission européenne étudie un plafonnement des prix, mais plusieurs "
        "États membres, dont la Hongrie, s'y opposent fermement.",
        "Le ministre ukrainien des Affaires étrangères, Dmytro Kouleba, a remercié les États-Unis "
        "pour les nouvelles livraisons d'armes. Il a toutefois jugé l'aide insuffisante et appelé "
        "ses partenaires à accélérer l'envoi de systèmes de défense antiaérienne.",
        "Dans l'est du pays, les combats se poursuivent autour de Bakhmout, où l'armée russe "
        "tente de progresser malgré de lourdes pertes. Les autorités locales ont annoncé "
        "l'évacuation de plusieurs villages menacés par les bombardements.",
        "À Genève, l'envoyé spécial des Nations unies a rencontré séparément les délégations "
        "russe et ukrainienne. Il a salué un dialogue « franc et utile », sans cacher que les "
        "positions restaient très éloignées sur la question des territoires occupés.",
        "La Banque centrale européenne a relevé ses taux directeurs pour la quatrième fois cette "
        "année afin de freiner l'inflation. Sa présidente, Christine Lagarde, a reconnu que la "
        "guerre en Ukraine pesait lourdement sur la croissance de la zone euro.",
        "Le Premier ministre britannique a promis de nouvelles sanctions contre les oligarques "
        "proches du Kremlin. Londres a également gelé les avoirs de deux banques russes et "
        "interdit l'exportation de certains composants électroniques.",
        "En Pologne, des milliers de bénévoles continuent d'accueillir les réfugiés ukrainiens "
        "à la frontière. Le gouvernement de Varsovie demande à Bruxelles une aide financière "
        "supplémentaire pour faire face à l'afflux de familles venues de Lviv et de Kiev.",
        "Le président américain Joe Biden a déclaré que les États-Unis ne reconnaîtraient jamais "
        "l'annexion de territoires ukrainiens. Il a accusé Vladimir Poutine de mener une guerre "
        "d'agression et promis de soutenir Kiev « jusqu'au bout ».",
        "Les analystes de l'Institut français des relations internationales estiment que le "
        "conflit pourrait durer encore plusieurs années. Ils soulignent que la Chine observe "
        "attentivement la réaction des Occidentaux et pourrait en tirer des leçons.",
    ),
    "en": (
        "President Joe Biden met German Chancellor Olaf Scholz at the White House on Tuesday to "
        "prepare next week's summit. Both leaders said the United States and Europe would stay "
        "united against Russia and keep supporting Ukraine for as long as it takes.",
        "In Moscow, Kremlin spokesman Dmitry Peskov called the sanctions illegal and accused the "
        "West of trying to cripple the Russian economy. He said Russia would not bow to "
        "pressure and would continue to defend its interests.",
        "NATO Secretary General Jens Stoltenberg warned that the alliance would strengthen its "
        'military presence in Poland and the Baltic states. "We will leave no ally '
        'unprotected," he told reporters in Brussels.',
        "Gas prices rose another 12 percent on European markets, alarming manufacturers. The "
        "European Commission is studying a price cap, but several member states, including "
        "Hungary, strongly oppose the plan.",
        "Ukrainian Foreign Minister Dmytro Kuleba thanked the United States for the latest arms "
        "deliveries. He nevertheless called the aid insufficient and urged partners to speed up "
        "the delivery of air defence systems.",
        "In the east of the country, fighting continues around Bakhmut, where the Russian army "
        "is trying to advance despite heavy losses. Local officials announced the evacuation of "
        "several villages threatened by shelling.",
        "In Geneva, the United Nations special envoy met the Russian and Ukrainian delegations "
        "separately. He described the talks as frank and useful, while admitting that the two "
        "sides remained far apart on the occupied territories.",
        "The European Central Bank raised its key interest rates for the fourth time this year "
        "to curb inflation. Its president, Christine Lagarde, acknowledged that the war in "
        "Ukraine was weighing heavily on growth in the euro area.",
        "The British Prime Minister promised new sanctions against oligarchs close to the "
        "Kremlin. London also froze the assets of two Russian banks and banned exports of some "
        "electronic components.",
        "In Poland, thousands of volunteers are still welcoming Ukrainian refugees at the "
        "border. The government in Warsaw is asking Brussels for more money to cope with the "
        "arrival of families from Lviv and Kyiv.",
        "Analysts at the International Institute for Strategic Studies believe the conflict "
        "could last several more years. They note that China is closely watching how the West "
        "responds and may draw its own lessons.",
        "Critics in Congress said the administration had moved too slowly. Senator Lindsey "
        "Graham praised the new package but said Ukraine should have received long-range "
        "weapons months ago.",
    ),
}

LANGUAGES = tuple(PARAGRAPHS)


@dataclass(frozen=True, slots=True)
class Article:
    """A text to enrich, with what the benchmark needs to know about it."""

    text: str
    language: str
    words: int
    origin: str  # "sample" or "composed"


def compose(language: str, words: int, seed: int = 0, tag: str = "") -> Article:
    """A headline then paragraphs (shuffled, repeated as needed) until about ``words``
    words; with ``tag``, a last line that makes the text unique."""
    rng = random.Random(f"{language}-{words}-{seed}")
    pool = list(PARAGRAPHS[language])
    parts = [rng.choice(HEADLINES[language])]
    count = len(parts[0].split())
    while count < words:
        rng.shuffle(pool)
        for paragraph in pool:
            parts.append(paragraph)
            count += len(paragraph.split())
            if count >= words:
                break
    text = "\n\n".join(parts)
    return Article(_tagged(text, language, tag), language, count, "composed")


def compose_chars(language: str, chars: int, seed: int = 0, tag: str = "") -> Article:
    """A composed text of ``chars`` characters, give or take part of one paragraph."""
    article = compose(language, max(1, chars // 5), seed)
    text = article.text
    while len(text) < chars:
        text += "\n\n" + compose(language, chars // 5, seed + len(text)).text
    cut = text.rfind("\n\n", 0, chars)
    if cut < chars * 0.95:
        cut = text.rfind(". ", 0, chars) + 1
    text = text[: cut if cut > chars * 0.9 else chars].rstrip()
    return Article(_tagged(text, language, tag), language, len(text.split()), "composed")


def sample(tag: str = "") -> Article:
    """The French sample article (about 1,000 words), or a composed French article of the
    same length when ``../shared`` is not beside the project."""
    if SAMPLE.is_file():
        text = SAMPLE.read_text(encoding="utf-8")
        return Article(_tagged(text, "fr", tag), "fr", len(text.split()), "sample")
    return compose("fr", 964, seed=964, tag=tag)


def mixed_set(
    count: int, low: int, high: int, languages: tuple[str, ...], tag: str
) -> list[Article]:
    """``count`` articles with lengths spread geometrically from ``low`` to ``high`` words,
    alternating ``languages``; each unique through ``tag``."""
    ratio = (high / low) ** (1 / max(1, count - 1))
    return [
        compose(languages[i % len(languages)], round(low * ratio**i), seed=i, tag=f"{tag}-{i}")
        for i in range(count)
    ]


def _tagged(text: str, language: str, tag: str) -> str:
    if not tag:
        return text
    line = f"Dépêche {tag}." if language == "fr" else f"Dispatch {tag}."
    return f"{text}\n\n{line}"
