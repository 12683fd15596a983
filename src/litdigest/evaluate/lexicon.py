"""A general biomedical lay / technical equivalence lexicon for the eval's matcher.

A summary may say "hair loss" where the key point says "alopecia", "liver" for "hepatic",
"number needed to treat" for "NNT" or "painkillers" for "analgesics". ``canonical`` rewrites
every variant of an ``ENTRIES`` group to the group's one form, in both texts, before the
matcher compares words and salient terms (``match.match_form`` calls it). The entries are
written from domain knowledge (drug-class lay names, anatomical adjectives, symptoms and
clinical outcomes, study-design terms, abbreviations and their long forms), not from any
labelled pair. Only equivalences are listed: a word is never rewritten to a broader or a
narrower one (hypernyms would let a claim about one thing cover a point about another).

Long forms match case-insensitively; abbreviations (``CASE`` groups) only as written, so
"AE" is not read in "ae" and "ICU" not in "icu-like".
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

__all__ = ["ENTRIES", "canonical"]

# (canonical form, variants case-insensitive, variants case-sensitive). Order matters only
# where one variant contains another (the longest alternative of the whole table wins).
ENTRIES: Final[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = (
    # ---- symptoms, adverse effects and clinical findings (lay / technical)
    ("alopecia", ("hair loss", "loss of hair", "balding"), ()),
    ("nausea", ("feeling sick", "queasiness"), ()),
    ("vomiting", ("being sick", "emesis", "throwing up"), ()),
    ("fatigue", ("tiredness", "lethargy", "lack of energy"), ()),
    ("dyspnoea", ("dyspnea", "shortness of breath", "breathlessness"), ()),
    ("pruritus", ("itching", "itchiness", "itchy skin"), ()),
    ("xerostomia", ("dry mouth", "mouth dryness"), ()),
    ("mucositis", ("mouth sores", "sore mouth"), ()),
    ("pyrexia", ("fever", "fevers", "febrile illness"), ()),
    ("insomnia", ("sleeplessness", "trouble sleeping", "difficulty sleeping"), ()),
    ("anorexia", ("loss of appetite", "poor appetite", "appetite loss"), ()),
    ("bleeding", ("haemorrhage", "hemorrhage", "haemorrhaging", "hemorrhaging"), ()),
    ("hypertension", ("high blood pressure", "raised blood pressure"), ()),
    ("hypotension", ("low blood pressure", "drop in blood pressure", "fall in blood pressure"), ()),
    ("myocardial infarction", ("heart attack", "heart attacks"), ("MI",)),
    ("stroke", ("cerebrovascular accident", "cerebrovascular accidents"), ("CVA",)),
    ("thrombosis", ("blood clots", "blood clot", "clotting"), ()),
    ("deep vein thrombosis", ("deep venous thrombosis",), ("DVT",)),
    ("venous thromboembolism", ("venous thromboembolic events",), ("VTE",)),
    ("atrial fibrillation", ("irregular heartbeat",), ("AF",)),
    ("hypothyroidism", ("underactive thyroid", "low thyroid function"), ()),
    ("hyperthyroidism", ("overactive thyroid", "thyrotoxicosis"), ()),
    ("neuropathy", ("nerve damage", "nerve injury", "neuropathies"), ()),
    # "-itis" = inflammation of the organ (immune-related adverse events are named both ways)
    ("colitis", ("inflammation of the colon", "inflamed colon", "colonic inflammation",
                 "inflammation of the bowel", "bowel inflammation"), ()),
    ("hepatitis", ("inflammation of the liver", "liver inflammation", "inflamed liver"), ()),
    ("pneumonitis", ("inflammation of the lungs?", "lung inflammation", "inflamed lungs?"), ()),
    ("dermatitis", ("inflammation of the skin", "skin inflammation", "inflamed skin"), ()),
    ("nephritis", ("inflammation of the kidneys?", "kidney inflammation"), ()),
    ("myocarditis", ("inflammation of the heart muscle", "heart muscle inflammation"), ()),
    ("thyroiditis", ("inflammation of the thyroid", "thyroid inflammation",
                     "inflamed thyroid"), ()),
    ("pancreatitis", ("inflammation of the pancreas", "pancreatic inflammation"), ()),
    ("arthritis", ("inflammation of the joints?", "joint inflammation", "inflamed joints?"), ()),
    ("leucopenia", ("leukopenia", "low white blood cell counts?", "low white cell counts?",
                    "low white counts?", "low white blood cells?"), ()),
    ("neutropenia", ("low neutrophil counts?", "low neutrophils"), ()),
    ("thrombocytopenia", ("low platelet counts?", "low platelets"), ()),
    ("anaemia", ("anemia", "low red blood cell counts?", "low red cell counts?",
                 "low haemoglobin", "low hemoglobin"), ()),
    ("febrile neutropenia", ("neutropenic fever",), ("FN",)),
    ("sepsis", ("blood poisoning", "bloodstream infection", "bloodstream infections"), ()),
    ("oedema", ("edema", "fluid retention"), ()),
    ("telangiectasia", ("spider veins", "telangiectasias"), ()),
    ("pigmentation", ("hyperpigmentation", "discolouration", "discoloration"), ()),
    ("impotence", ("erectile dysfunction",), ("ED",)),
    ("hot flushes", ("hot flashes", "hot flush", "hot flash"), ()),
    ("diarrhoea", ("diarrhea", "loose stools"), ()),
    ("constipation", ("difficulty passing stools",), ()),
    ("haematological toxicity", ("hematological toxicity", "hematologic toxicity",
                                 "blood toxicity", "myelosuppression", "myelotoxicity",
                                 "bone marrow suppression", "marrow suppression"), ()),
    ("cardiotoxicity", ("cardiac toxicity", "heart damage", "cardiotoxic effects"), ()),
    ("hepatotoxicity", ("liver toxicity", "liver damage", "hepatic toxicity"), ()),
    ("nephrotoxicity", ("kidney toxicity", "kidney damage", "renal toxicity"), ()),
    ("ototoxicity", ("hearing damage",), ()),
    ("adverse events", ("adverse event", "side effects", "side-effects", "side effect",
                        "adverse effects", "adverse effect", "adverse reactions",
                        "adverse drug reactions", "harms"), ("AEs", "AE")),
    ("pain relief", ("analgesia", "relief of pain"), ()),
    ("monotherapy", ("single agents?", "single-agent therapy", "single-agent treatment",
                     "a single drug", "one drug alone"), ()),
    ("chronic pain", ("persistent pain", "long-lasting pain", "long-term pain"), ()),
    ("pressure ulcers", ("pressure sores", "bedsores", "bed sores"), ()),
    ("heartburn", ("acid reflux", "gastro-oesophageal reflux", "gastroesophageal reflux"),
     ("GERD", "GORD")),
    ("tooth decay", ("dental caries", "caries"), ()),
    ("periodontitis", ("gum disease", "periodontal disease"), ()),
    ("tooth loss", ("missing teeth", "edentulism", "edentulousness"), ()),
    ("dentures", ("false teeth", "dental prostheses"), ()),
    ("myopia", ("short-sightedness", "nearsightedness"), ()),
    ("kidney stones", ("nephrolithiasis", "renal calculi"), ()),
    ("gallstones", ("cholelithiasis",), ()),
    ("hyperglycaemia", ("hyperglycemia", "high blood sugar"), ()),
    ("hypoglycaemia", ("hypoglycemia", "low blood sugar"), ()),
    ("diabetes", ("diabetes mellitus",), ()),
    ("type 2 diabetes", ("type ii diabetes", "type-2 diabetes"), ("T2D", "T2DM")),
    ("physical activity", ("exercise", "physical exercise"), ()),
    ("body mass index", (), ("BMI",)),
    ("death", ("mortality", "deaths"), ()),
    ("relapse", ("recurrence", "recurrences", "relapses", "recurred"), ()),
    ("relapsed", ("recurrent",), ()),
    ("distant metastasis", ("distant metastases", "distant spread", "spread to distant organs",
                            "metastatic spread", "distant relapse"), ()),
    ("quality of life", ("health-related quality of life", "well-being"), ("QoL", "HRQoL")),
    ("hospitalisation", ("hospitalization", "hospital admission", "admission to hospital",
                         "hospital admissions"), ()),
    ("intensive care", ("intensive care unit", "critical care"), ("ICU",)),
    # ---- drug classes and treatments (lay / technical)
    ("analgesics", ("painkillers", "pain killers", "pain relievers", "pain medication",
                    "pain medications", "analgesic drugs"), ()),
    ("antiemetics", ("anti-sickness drugs", "antinausea drugs", "anti-nausea drugs",
                     "antiemetic drugs"), ()),
    ("anticoagulants", ("blood thinners", "anticoagulant drugs"), ()),
    ("corticosteroids", ("steroids", "glucocorticoids", "corticoids", "steroid drugs"), ()),
    ("antibiotics", ("antibacterial drugs", "antibacterials"), ()),
    ("antidepressants", ("antidepressant drugs",), ()),
    ("antihypertensives", ("blood pressure drugs", "blood pressure medication"), ()),
    ("statins", ("cholesterol-lowering drugs", "cholesterol lowering drugs"), ()),
    ("diuretics", ("water pills", "water tablets"), ()),
    ("chemotherapy", ("chemo",), ()),
    ("chemotherapy drugs", ("cytotoxic drugs", "cytotoxic agents", "cytotoxic anticancer drugs",
                            "chemotherapeutic drugs", "chemotherapeutic agents",
                            "chemotherapeutics", "anticancer drugs"), ()),
    ("chemoradiotherapy", ("chemoradiation", "concurrent chemoradiotherapy",
                           "concurrent chemoradiation", "radiochemotherapy"), ("CRT",)),
    ("endocrine therapy", ("hormone therapy", "hormonal therapy", "hormone treatment"), ()),
    ("androgen deprivation", ("androgen suppression", "androgen deprivation therapy",
                              "androgen suppression therapy", "androgen ablation"), ("ADT",)),
    ("radioiodine", ("radioactive iodine", "iodine-131", "iodine 131"), ("I-131", "RAI")),
    ("monoclonal antibody", ("monoclonal antibodies",), ("mAb", "mAbs", "MAb")),
    ("allergen immunotherapy", ("desensitisation", "desensitization", "hyposensitisation",
                                "hyposensitization", "allergen-specific immunotherapy",
                                "allergy shots", "allergen injections"), ("SIT",)),
    ("vaccination", ("immunisation", "immunization", "vaccinations"), ()),
    ("vaccinated", ("immunised", "immunized"), ()),
    ("vaccinating", ("immunising", "immunizing"), ()),
    ("placebo", ("dummy treatment", "dummy pill", "dummy pills", "inactive treatment"), ()),
    ("lipofilling", ("fat grafting", "autologous fat grafting", "fat transfer",
                     "autologous fat transfer", "lipotransfer", "fat graft"), ()),
    ("hysterectomy", ("removal of the uterus", "removal of the womb"), ()),
    ("mastectomy", ("removal of the breast", "breast removal"), ()),
    ("nephrectomy", ("removal of the kidney", "kidney removal"), ()),
    ("surgery", ("operation", "surgical treatment", "surgical intervention", "operations"), ()),
    ("resection", ("surgical removal", "excision"), ()),
    ("resected", ("surgically removed", "excised"), ()),
    ("postoperative", ("post-operative", "after surgery", "after resection", "adjuvant",
                       "after the operation"), ()),
    ("preoperative", ("pre-operative", "before surgery", "neoadjuvant"), ()),
    ("intravenous", ("into a vein",), ("i.v.",)),
    ("intramuscular", ("into the muscle", "into a muscle"), ("IM", "i.m.")),
    ("subcutaneous", ("under the skin",), ("SC", "s.c.")),
    ("intratumoural", ("intratumoral", "into the tumour", "into the tumor", "into tumours",
                       "into tumors"), ()),
    ("first-line", ("front-line", "frontline", "first line", "upfront"), ()),
    ("HSCT", ("haematopoietic stem cell transplantation", "hematopoietic stem cell transplantation",
              "stem cell transplantation", "bone marrow transplantation", "bone marrow transplant"),
     ("SCT", "BMT")),
    ("faecal microbiota transplantation", ("fecal microbiota transplantation",
                                           "stool transplant", "stool transplants"), ("FMT",)),
    ("stool", ("faeces", "feces", "faecal", "fecal", "stools"), ()),
    ("gut microbiome", ("gut microbiota", "gut flora", "intestinal microbiome",
                        "intestinal microbiota", "intestinal flora", "gut bacteria",
                        "intestinal bacteria", "commensal bacteria", "commensals",
                        "gut commensals"), ()),
    # ---- study design, outcomes and statistics
    ("number needed to treat", (), ("NNT",)),
    ("RCT", ("randomised trial", "randomized trial", "randomised trials", "randomized trials",
             "randomised clinical trial", "randomized clinical trial", "randomised study",
             "randomized study"), ()),
    ("single nucleotide polymorphism", ("single-nucleotide polymorphism",
                                        "single nucleotide polymorphisms",
                                        "single-nucleotide polymorphisms"), ("SNP", "SNPs")),
    ("genome-wide association study", ("genome-wide association studies",), ("GWAS",)),
    ("disease control rate", (), ("DCR",)),
    ("duration of response", (), ("DOR", "DoR")),
    ("time to progression", (), ("TTP",)),
    ("metastasis-free survival", ("metastasis free survival",), ("MFS",)),
    ("cancer-specific survival", ("cancer specific survival", "disease-specific survival"),
     ("CSS",)),
    ("longer survival", ("better survival", "improved survival", "prolonged survival",
                         "lived longer", "survived longer", "extended survival"), ()),
    ("worse survival", ("shorter survival", "poorer survival", "reduced survival"), ()),
    ("more frequent", ("more common", "commoner", "more often", "more frequently",
                       "higher incidence of", "higher rates of"), ()),
    ("less frequent", ("less common", "rarer", "less often", "less frequently",
                       "lower incidence of", "lower rates of"), ()),
    ("milder", ("less severe", "less severely"), ()),
    ("regress", ("shrink", "shrinks", "shrank", "shrunk"), ()),
    ("regression", ("shrinkage",), ()),
    ("lifespan", ("life span", "longevity", "life expectancy"), ()),
    # ---- imaging and laboratory methods
    ("MRI", ("magnetic resonance imaging",), ()),
    ("CT", ("computed tomography", "computerised tomography", "computerized tomography"), ()),
    ("PET", ("positron emission tomography",), ()),
    ("IHC", ("immunohistochemistry", "immunohistochemical staining"), ()),
    ("PCR", ("polymerase chain reaction",), ()),
    ("ELISA", ("enzyme-linked immunosorbent assay",), ()),
    ("NGS", ("next-generation sequencing", "next generation sequencing"), ()),
    ("scRNA-seq", ("single-cell RNA sequencing", "single cell RNA sequencing"), ()),
    ("ctDNA", ("circulating tumour DNA", "circulating tumor DNA"), ()),
    ("cfDNA", ("cell-free DNA",), ()),
    ("CTCs", ("circulating tumour cells", "circulating tumor cells"), ("CTC",)),
    # ---- hormones, molecules and pathways (abbreviation / long form)
    ("TSH", ("thyroid-stimulating hormone", "thyroid stimulating hormone", "thyrotropin"), ()),
    ("T4", ("thyroxine", "tetraiodothyronine"), ()),
    ("T3", ("triiodothyronine",), ()),
    ("ATP", ("adenosine triphosphate",), ()),
    ("AMP", ("adenosine monophosphate",), ()),
    ("cAMP", ("cyclic AMP", "cyclic adenosine monophosphate"), ()),
    ("NF-κB", ("nuclear factor kappa B", "nuclear factor-kappa B", "nuclear factor κB",
               "nuclear factor-κB"), ()),
    ("MAPK", ("mitogen-activated protein kinase", "mitogen activated protein kinase"), ()),
    ("mTOR", ("mammalian target of rapamycin", "mechanistic target of rapamycin"), ()),
    ("PI3K", ("phosphoinositide 3-kinase", "phosphatidylinositol 3-kinase"), ()),
    ("HMGB1", ("high mobility group box 1", "high-mobility group box 1"), ()),
    ("DAMPs", ("damage-associated molecular patterns", "danger signals"), ()),
    ("PAMPs", ("pathogen-associated molecular patterns",), ()),
    ("PRRs", ("pattern recognition receptors", "pattern-recognition receptors"), ()),
    ("ECM", ("extracellular matrix",), ()),
    ("IgG", ("immunoglobulin G",), ()),
    ("IgM", ("immunoglobulin M",), ()),
    ("IgE", ("immunoglobulin E",), ()),
    ("antibodies", ("immunoglobulins",), ()),
    # ---- cells
    ("TCR", ("T-cell receptor", "T cell receptor", "T-cell receptors", "T cell receptors"), ()),
    ("BCR", ("B-cell receptor", "B cell receptor"), ()),
    ("APCs", ("antigen-presenting cells", "antigen presenting cells", "antigen-presenting cell"),
     ()),
    ("CD4+ T cells", ("helper T cells", "T helper cells", "helper T-cells", "CD4 T cells",
                      r"CD4\+ T-cells", "CD4 T-cells"), ()),
    ("Th1", ("T helper 1", "type 1 helper"), ()),
    ("Th2", ("T helper 2", "type 2 helper"), ()),
    ("Th17", ("T helper 17",), ()),
    ("cancer stem cells", ("tumour stem cells", "tumor stem cells", "tumour-initiating cells",
                           "tumor-initiating cells"), ("CSCs", "CSC")),
    ("mesenchymal stromal cells", ("mesenchymal stem cells",), ("MSCs", "MSC")),
    ("haematopoietic stem cells", ("hematopoietic stem cells", "blood stem cells"),
     ("HSCs", "HSC")),
    ("leukocytes", ("leucocytes", "white blood cells", "white cells"), ()),
    ("erythrocytes", ("red blood cells", "red cells"), ()),
    ("platelets", ("thrombocytes",), ()),
    ("tumour cells", ("cancer cells", "malignant cells", "neoplastic cells", "cancerous cells",
                      "tumor cells"), ()),
    ("apoptosis", ("programmed cell death(?![- ]?(?:protein|ligand|1|l1|l2))",
                   "apoptotic cell death"), ()),
    ("immunogenic cell death", (), ("ICD",)),
    ("angiogenesis", ("blood vessel formation", "new vessel formation", "neovascularisation",
                      "neovascularization", "vessel growth"), ()),
    ("vessels", ("blood vessels", "vasculature"), ()),
    ("lymph nodes", ("lymph glands", "lymph node", "lymphatic nodes"), ()),
    # ---- diseases and cancers (lay / technical, abbreviations)
    ("colorectal cancer", ("bowel cancer", "colorectal carcinoma", "colorectal cancers",
                           "colorectal tumours", "colorectal tumors"), ("CRC",)),
    ("metastatic colorectal cancer", (), ("mCRC",)),
    ("metastatic breast cancer", (), ("MBC",)),
    ("endometrial cancer", ("womb cancer", "uterine cancer", "endometrial carcinoma",
                            "cancer of the womb", "cancer of the uterus"), ()),
    ("stomach cancer", ("gastric cancer", "gastric carcinoma"), ()),
    ("HCC", ("liver cancer", "primary liver cancer"), ()),
    ("renal cell carcinoma", ("kidney cancer",), ()),
    ("oesophageal squamous cell carcinoma", (), ("ESCC",)),
    ("squamous cell carcinoma", ("squamous-cell carcinoma",), ("SCC",)),
    ("basal cell carcinoma", ("basal-cell carcinoma",), ("BCC",)),
    ("nasopharyngeal carcinoma", (), ("NPC",)),
    ("urothelial carcinoma", ("bladder cancer",), ()),
    ("chronic myeloid leukemia", ("chronic myeloid leukaemia", "chronic myelogenous leukemia"),
     ("CML",)),
    ("myelodysplastic syndrome", ("myelodysplastic syndromes",), ("MDS",)),
    ("non-Hodgkin lymphoma", ("non-Hodgkin's lymphoma", "non Hodgkin lymphoma"), ("NHL",)),
    ("gastrointestinal stromal tumour", ("gastrointestinal stromal tumor",), ("GIST",)),
    ("blood cancers", ("haematological malignancies", "hematological malignancies",
                       "hematologic malignancies", "haematological cancers",
                       "hematologic cancers", "blood cancer"), ()),
    ("graft-versus-host disease", ("graft versus host disease",), ("GVHD", "GvHD")),
    ("chronic obstructive pulmonary disease", (), ("COPD",)),
    ("inflammatory bowel disease", (), ("IBD",)),
    ("SLE", ("systemic lupus erythematosus", "lupus"), ()),
    ("chronic kidney disease", (), ("CKD",)),
    ("cardiovascular disease", ("cardiovascular diseases",), ("CVD",)),
    ("hepatitis B virus", (), ("HBV",)),
    ("hepatitis C virus", (), ("HCV",)),
    ("HIV", ("human immunodeficiency virus",), ()),
    ("cytomegalovirus", (), ("CMV",)),
    ("varicella", ("chickenpox", "chicken pox"), ()),
    ("herpes zoster", ("shingles",), ()),
    # ---- anatomy: adjective / lay noun
    ("liver", ("hepatic",), ()),
    ("kidney", ("renal", "kidneys"), ()),
    ("lung", ("pulmonary", "lungs"), ()),
    ("heart", ("cardiac",), ()),
    ("stomach", ("gastric",), ()),
    ("brain", ("cerebral",), ()),
    ("skin", ("cutaneous", "dermal"), ()),
    ("eye", ("ocular", "eyes"), ()),
    ("bowel", ("intestinal", "intestine", "intestines", "bowels", "gut"), ()),
    ("colon", ("colonic",), ()),
    ("uterus", ("womb", "uterine"), ()),
    ("breast", ("mammary", "breasts"), ()),
    ("chest", ("thoracic", "thorax"), ()),
    ("bone", ("osseous", "bones"), ()),
    ("muscle", ("muscular", "muscles"), ()),
    ("ovary", ("ovarian", "ovaries"), ()),
    ("pancreas", ("pancreatic",), ()),
    ("spleen", ("splenic",), ()),
    ("nose", ("nasal",), ()),
    ("mouth", ("oral cavity",), ()),
    ("teeth", ("dental", "tooth"), ()),
    ("airways", ("airway", "bronchial", "bronchi"), ()),
    ("newborns", ("neonates", "newborn infants", "neonatal", "newborn"), ()),
    ("children", ("paediatric", "pediatric", "child"), ()),
    ("adolescents", ("teenagers", "teens", "adolescent"), ()),
    ("elderly", ("older adults", "older patients", "older people", "older persons"), ()),
    ("men", ("males",), ()),
    ("women", ("females",), ()),
    ("siblings", ("brothers or sisters", "brother or sister", "brothers and sisters",
                  "sibling"), ()),
    ("clinicians", ("physicians", "doctors"), ()),
    ("mouse", ("mice", "murine"), ()),
    # ---- "n-fold" in words (a word, as a key point usually writes it, not a number to match)
    ("twofold", ("2-fold", "two-fold"), ()),
    ("threefold", ("3-fold", "three-fold"), ()),
    ("fourfold", ("4-fold", "four-fold"), ()),
    ("fivefold", ("5-fold", "five-fold"), ()),
    ("sixfold", ("6-fold", "six-fold"), ()),
    ("tenfold", ("10-fold", "ten-fold"), ()),
)  # fmt: skip

# "five percentage points" / "5 per cent" are written "5%" (a number the key point may state).
_POINTS_RE: Final = re.compile(
    r"\b(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten) "
    r"(?:percentage points?|per ?cent|percent)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS: Final = dict(
    zip(
        "one two three four five six seven eight nine ten".split(),
        map(str, range(1, 11)),
        strict=True,
    )
)


def _alternation(variants: list[tuple[str, str]]) -> str:
    # longest first: at one position the longest variant wins
    ordered = sorted(variants, key=lambda v: len(v[0]), reverse=True)
    return "|".join(f"(?:{v})" for v, _ in ordered)


@lru_cache(maxsize=1)
def _compiled() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]]:
    loose = [(v, canon) for canon, folded, _ in ENTRIES for v in folded]
    strict = [(re.escape(v), canon) for canon, _, exact in ENTRIES for v in exact]
    loose_re = re.compile(r"(?<![\w-])(?:" + _alternation(loose) + r")(?![\w-])", re.I)
    strict_re = re.compile(r"(?<![\w-])(?:" + _alternation(strict) + r")(?![\w-])")
    strict_map = {v: canon for canon, _, exact in ENTRIES for v in exact}
    return loose_re, strict_re, strict_map


@lru_cache(maxsize=8192)
def _loose_canonical(found: str) -> str:
    for canon, folded, _ in ENTRIES:
        if any(re.fullmatch(v, found, re.I) for v in folded):
            return canon
    return found


def _once(text: str) -> str:
    loose_re, strict_re, strict_map = _compiled()
    text = strict_re.sub(lambda m: strict_map.get(m.group(), m.group()), text)
    return loose_re.sub(lambda m: _loose_canonical(m.group()), text)


@lru_cache(maxsize=16384)
def canonical(text: str) -> str:
    """``text`` with every ``ENTRIES`` variant rewritten to its group's canonical form, until
    nothing changes (a canonical form may hold another group's variant: "gut microbiome")."""
    for _ in range(4):
        new = _once(text)
        if new == text:
            break
        text = new
    return _POINTS_RE.sub(lambda m: _NUMBER_WORDS.get(m.group(1).lower(), m.group(1)) + "%", text)
