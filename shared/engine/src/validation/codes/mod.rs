//! Code lists of the EN 16931 validation artefacts v1.3.16 (BR-CL-*), each
//! exactly the literal of its assertion in the official stylesheets (a test
//! compares them), and their syntax bindings: which element or attribute of
//! UBL ([`ubl`]) / CII ([`cii`]) each list constrains.
//!
//! Where the two stylesheets carry different lists for one rule (BR-CL-01,
//! 06, 08, 14, 15), each syntax has its own.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::binding::xs_boolean;
use crate::hash::FastHash;
use crate::input::xml::Node;

mod cii;
mod ubl;

pub(crate) use cii::cii;
pub(crate) use ubl::ubl;

/// UNTDID 1001 subset for UBL invoices (BR-CL-01).
const UBL_INVOICE_TYPES: &str = "71 80 81 82 84 102 130 202 203 204 211 218 219 295 325 326 331 380 382 383 384 385 386 387 388 389 390 393 394 395 456 457 471 472 473 500 501 527 553 575 623 633 751 780 817 870 875 876 877 935";
/// UNTDID 1001 subset for UBL credit notes (BR-CL-01).
const UBL_CREDIT_NOTE_TYPES: &str = "81 83 261 262 296 308 381 396 420 458 502 503 532";
/// UNTDID 1001 subset for CII documents (BR-CL-01).
const CII_DOCUMENT_TYPES: &str = "71 80 81 82 83 84 102 130 202 203 204 211 218 219 261 262 295 296 308 325 326 331 380 381 382 383 384 385 386 387 388 389 390 393 394 395 396 420 456 457 458 471 472 473 500 501 502 503 527 532 553 575 623 633 751 780 817 870 875 876 877 935";
/// ISO 4217 alpha-3 (BR-CL-03/04/05).
const CURRENCIES: &str = "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNH CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STD SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VES VED VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG";
/// UNTDID 2005 restriction: UBL VAT point date codes (BR-CL-06).
const UBL_VAT_POINT: &str = "3 35 432";
/// UNTDID 2475 restriction: CII VAT point date codes (BR-CL-06).
const CII_VAT_POINT: &str = "5 29 72";
/// ISO 6523 ICD (BR-CL-10/11/21/26).
const ICD: &str = "0002 0003 0004 0005 0006 0007 0008 0009 0010 0011 0012 0013 0014 0015 0016 0017 0018 0019 0020 0021 0022 0023 0024 0025 0026 0027 0028 0029 0030 0031 0032 0033 0034 0035 0036 0037 0038 0039 0040 0041 0042 0043 0044 0045 0046 0047 0048 0049 0050 0051 0052 0053 0054 0055 0056 0057 0058 0059 0060 0061 0062 0063 0064 0065 0066 0067 0068 0069 0070 0071 0072 0073 0074 0075 0076 0077 0078 0079 0080 0081 0082 0083 0084 0085 0086 0087 0088 0089 0090 0091 0093 0094 0095 0096 0097 0098 0099 0100 0101 0102 0104 0105 0106 0107 0108 0109 0110 0111 0112 0113 0114 0115 0116 0117 0118 0119 0120 0121 0122 0123 0124 0125 0126 0127 0128 0129 0130 0131 0132 0133 0134 0135 0136 0137 0138 0139 0140 0141 0142 0143 0144 0145 0146 0147 0148 0149 0150 0151 0152 0153 0154 0155 0156 0157 0158 0159 0160 0161 0162 0163 0164 0165 0166 0167 0168 0169 0170 0171 0172 0173 0174 0175 0176 0177 0178 0179 0180 0183 0184 0185 0186 0187 0188 0189 0190 0191 0192 0193 0194 0195 0196 0197 0198 0199 0200 0201 0202 0203 0204 0205 0206 0207 0208 0209 0210 0211 0212 0213 0214 0215 0216 0217 0218 0219 0220 0221 0222 0223 0224 0225 0226 0227 0228 0229 0230 0231 0232 0233 0234 0235 0236 0237 0238 0239 0240 0241 0242 0243 0244 0245 0246 0247 0248";
/// UNTDID 7143 (BR-CL-13).
const ITEM_CLASSIFICATION: &str = "AA AB AC AD AE AF AG AH AI AJ AK AL AM AN AO AP AQ AR AS AT AU AV AW AX AY AZ BA BB BC BD BE BF BG BH BI BJ BK BL BM BN BO BP BQ BR BS BT BU BV BW BX BY BZ CC CG CL CR CV DR DW EC EF EMD EN FS GB GN GMN GS HS IB IN IS IT IZ MA MF MN MP NB ON PD PL PO PPI PV QS RC RN RU RY SA SG SK SN SRS SRT SRU SRV SRW SRX SRY SRZ SS SSA SSB SSC SSD SSE SSF SSG SSH SSI SSJ SSK SSL SSM SSN SSO SSP SSQ SSR SSS SST SSU SSV SSW SSX SSY SSZ ST STA STB STC STD STE STF STG STH STI STJ STK STL STM STN STO STP STQ STR STS STT STU STV STW STX STY STZ SUA SUB SUC SUD SUE SUF SUG SUH SUI SUJ SUK SUL SUM TG TSN TSO TSP TSQ TSR TSS TST TSU UA UP VN VP VS VX ZZZ";
/// ISO 3166-1 alpha-2 with 1A (Kosovo) and XI (Northern Ireland), as the UBL artefact lists it (BR-CL-14/15).
const UBL_COUNTRIES: &str = "1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW";
/// The same for CII: its list has AN where the UBL one has SS (BR-CL-14/15).
const CII_COUNTRIES: &str = "1A AD AE AF AG AI AL AM AN AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BL BJ BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW";
/// UNTDID 4461 restriction (BR-CL-16).
const PAYMENT_MEANS: &str = "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 74 75 76 77 78 91 92 93 94 95 96 97 98 ZZZ";
/// UNTDID 5305 restriction (BR-CL-17/18).
const VAT_CATEGORIES: &str = "AE L M E S Z G O K B";
/// UNTDID 5189 restriction: allowance reasons (BR-CL-19).
const ALLOWANCE_REASONS: &str = "41 42 60 62 63 64 65 66 67 68 70 71 88 95 100 102 103 104 105";
/// UNTDID 7161: charge reasons (BR-CL-20).
const CHARGE_REASONS: &str = "AA AAA AAC AAD AAE AAF AAH AAI AAS AAT AAV AAY AAZ ABA ABB ABC ABD ABF ABK ABL ABN ABR ABS ABT ABU ACF ACG ACH ACI ACJ ACK ACL ACM ACS ADC ADE ADJ ADK ADL ADM ADN ADO ADP ADQ ADR ADT ADW ADY ADZ AEA AEB AEC AED AEF AEH AEI AEJ AEK AEL AEM AEN AEO AEP AES AET AEU AEV AEW AEX AEY AEZ AJ AU CA CAB CAD CAE CAF CAI CAJ CAK CAL CAM CAN CAO CAP CAQ CAR CAS CAT CAU CAV CAW CAX CAY CAZ CD CG CS CT DAB DAD DAC DAF DAG DAH DAI DAJ DAK DAL DAM DAN DAO DAP DAQ DL EG EP ER FAA FAB FAC FC FH FI GAA HAA HD HH IAA IAB ID IF IR IS KO L1 LA LAA LAB LF MAE MI ML NAA OA PA PAA PC PL PRV RAB RAC RAD RAF RE RF RH RV SA SAA SAD SAE SAI SG SH SM SU TAB TAC TT TV V1 V2 WH XAA YY ZZZ";
/// CEF VATEX (BR-CL-22), compared upper-cased.
const VATEX: &str = "VATEX-EU-79-C VATEX-EU-132 VATEX-EU-132-1A VATEX-EU-132-1B VATEX-EU-132-1C VATEX-EU-132-1D VATEX-EU-132-1E VATEX-EU-132-1F VATEX-EU-132-1G VATEX-EU-132-1H VATEX-EU-132-1I VATEX-EU-132-1J VATEX-EU-132-1K VATEX-EU-132-1L VATEX-EU-132-1M VATEX-EU-132-1N VATEX-EU-132-1O VATEX-EU-132-1P VATEX-EU-132-1Q VATEX-EU-135-1 VATEX-EU-143 VATEX-EU-143-1A VATEX-EU-143-1B VATEX-EU-143-1C VATEX-EU-143-1D VATEX-EU-143-1E VATEX-EU-143-1F VATEX-EU-143-1FA VATEX-EU-143-1G VATEX-EU-143-1H VATEX-EU-143-1I VATEX-EU-143-1J VATEX-EU-143-1K VATEX-EU-143-1L VATEX-EU-144 VATEX-EU-146-1E VATEX-EU-159 VATEX-EU-309 VATEX-EU-148 VATEX-EU-148-A VATEX-EU-148-B VATEX-EU-148-C VATEX-EU-148-D VATEX-EU-148-E VATEX-EU-148-F VATEX-EU-148-G VATEX-EU-151 VATEX-EU-151-1A VATEX-EU-151-1AA VATEX-EU-151-1B VATEX-EU-151-1C VATEX-EU-151-1D VATEX-EU-151-1E VATEX-EU-G VATEX-EU-O VATEX-EU-IC VATEX-EU-AE VATEX-EU-D VATEX-EU-F VATEX-EU-I VATEX-EU-J VATEX-FR-FRANCHISE VATEX-FR-CNWVAT VATEX-EU-153 VATEX-FR-CGI261-1 VATEX-FR-CGI261-2 VATEX-FR-CGI261-3 VATEX-FR-CGI261-4 VATEX-FR-CGI261-5 VATEX-FR-CGI261-7 VATEX-FR-CGI261-8 VATEX-FR-CGI261A VATEX-FR-CGI261B VATEX-FR-CGI261C-1 VATEX-FR-CGI261C-2 VATEX-FR-CGI261C-3 VATEX-FR-CGI261D-1 VATEX-FR-CGI261D-1BIS VATEX-FR-CGI261D-2 VATEX-FR-CGI261D-3 VATEX-FR-CGI261D-4 VATEX-FR-CGI261E-1 VATEX-FR-CGI261E-2 VATEX-FR-CGI277A VATEX-FR-CGI275 VATEX-FR-298SEXDECIESA VATEX-FR-CGI295 VATEX-FR-AE";
/// CEF EAS (BR-CL-25).
const EAS: &str = "0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177 0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205 0208 0209 0210 0211 0212 0213 0215 0216 0217 0218 0219 0220 0221 0225 0230 0235 0240 0244 0242 0245 0246 0248 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946 9947 9948 9949 9950 9951 9952 9953 9957 9959 AN AQ AS AU EM";
/// UNTDID 1153 (BR-CL-07).
const SCHEME_1153: &str = include_str!("scheme1153.txt");
/// UNTDID 4451 subset of the UBL artefact: note subject codes (BR-CL-08).
const UBL_SUBJECTS: &str = include_str!("subjects-ubl.txt");
/// UNTDID 4451 subset of the CII artefact (BR-CL-08).
const CII_SUBJECTS: &str = include_str!("subjects-cii.txt");
/// UN/ECE Recommendation 20 with Rec 21 extension (BR-CL-23).
const UNITS: &str = include_str!("units.txt");
/// MIME types allowed for attachments (BR-CL-24), compared as they are.
const MIME: &str = "application/pdf image/png image/jpeg text/csv application/vnd.openxmlformats-officedocument.spreadsheetml.sheet application/vnd.oasis.opendocument.spreadsheet";

/// The whitespace `normalize-space` removes.
const XML_SPACE: [char; 4] = [' ', '\t', '\n', '\r'];

/// A code list: the codes of one assertion's literal, separated by spaces.
struct List {
    text: &'static str,
    set: OnceLock<HashSet<&'static str, FastHash>>,
}

impl List {
    const fn new(text: &'static str) -> List {
        List {
            text,
            set: OnceLock::new(),
        }
    }

    fn codes(&self) -> &HashSet<&'static str, FastHash> {
        self.set
            .get_or_init(|| self.text.split_ascii_whitespace().collect())
    }

    /// The artefacts' test `not(contains(normalize-space(v), ' ')) and
    /// contains(' list ', concat(' ', normalize-space(v), ' '))`: as the
    /// literal separates its codes by single spaces, `v` without its
    /// surrounding whitespace is one of the codes (a value with inner
    /// whitespace or an empty one never is).
    fn admits(&self, v: &str) -> bool {
        self.codes().contains(v.trim_matches(XML_SPACE))
    }

    /// `v` is one of the codes as it is (BR-CL-24 compares with `=`).
    fn holds_exactly(&self, v: &str) -> bool {
        self.codes().contains(v)
    }

    /// `contains(' list ', part)`: `part` is a substring of the literal,
    /// not necessarily a whole code (BR-CL-08 of UBL tests so).
    fn literal_contains(&self, part: &str) -> bool {
        format!(" {} ", self.text.trim()).contains(part)
    }
}

static L_UBL_INVOICE_TYPES: List = List::new(UBL_INVOICE_TYPES);
static L_UBL_CREDIT_NOTE_TYPES: List = List::new(UBL_CREDIT_NOTE_TYPES);
static L_CII_DOCUMENT_TYPES: List = List::new(CII_DOCUMENT_TYPES);
static L_CURRENCIES: List = List::new(CURRENCIES);
static L_UBL_VAT_POINT: List = List::new(UBL_VAT_POINT);
static L_CII_VAT_POINT: List = List::new(CII_VAT_POINT);
static L_1153: List = List::new(SCHEME_1153);
static L_UBL_SUBJECTS: List = List::new(UBL_SUBJECTS);
static L_CII_SUBJECTS: List = List::new(CII_SUBJECTS);
static L_ICD: List = List::new(ICD);
static L_7143: List = List::new(ITEM_CLASSIFICATION);
static L_UBL_COUNTRIES: List = List::new(UBL_COUNTRIES);
static L_CII_COUNTRIES: List = List::new(CII_COUNTRIES);
static L_PAYMENT_MEANS: List = List::new(PAYMENT_MEANS);
static L_VAT_CATEGORIES: List = List::new(VAT_CATEGORIES);
static L_ALLOWANCE_REASONS: List = List::new(ALLOWANCE_REASONS);
static L_CHARGE_REASONS: List = List::new(CHARGE_REASONS);
static L_VATEX: List = List::new(VATEX);
static L_UNITS: List = List::new(UNITS);
static L_MIME: List = List::new(MIME);
static L_EAS: List = List::new(EAS);

/// `indicators = true()` (or `false()`): some indicator casts to `value`.
pub(crate) fn some_indicator_is<'t>(
    mut indicators: impl Iterator<Item = Node<'t>>,
    value: bool,
) -> bool {
    indicators.any(|i| xs_boolean(i.text()) == Some(value))
}

/// (rule id, test of the assertion) of every assertion of one official
/// stylesheet, for the tests that compare a binding with the artefact.
#[cfg(test)]
pub(crate) fn artefact_assertions(name: &str) -> Vec<(String, String)> {
    use crate::input::xml::Tree;
    let path = format!(
        "{}/../../../shared/artefacts/en16931-1.3.16/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let tree = Tree::parse(&bytes).expect("the stylesheet is well-formed XML");
    let root = tree.root();
    root.descendants()
        .filter(|n| n.local_name() == "choose")
        .filter_map(|choose| {
            let test = choose
                .children()
                .find(|c| c.local_name() == "when")?
                .attr("test")?;
            let id = choose
                .descendants()
                .find(|c| c.local_name() == "attribute" && c.attr("name") == Some("id"))?
                .text();
            Some((id.to_owned(), test.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::rule::{expected, fired_at};

    /// The list literals of a test: `' a b c '` (a code list) and the
    /// values `@mimeCode = '…'` is compared with.
    fn literals(test: &str) -> Vec<String> {
        let quoted: Vec<&str> = test.split('\'').skip(1).step_by(2).collect();
        let mut lists: Vec<String> = quoted
            .iter()
            .filter(|q| q.starts_with(' ') && q.ends_with(' ') && !q.trim().is_empty())
            .map(|q| (*q).to_owned())
            .collect();
        let mimes: Vec<&str> = quoted.iter().copied().filter(|q| q.contains('/')).collect();
        if !mimes.is_empty() {
            lists.push(format!(" {} ", mimes.join(" ")));
        }
        lists
    }

    fn literal(list: &List) -> String {
        format!(" {} ", list.text.trim())
    }

    /// Our lists per rule, in the order of the rule's literals.
    fn ours(ubl: bool, id: &str) -> Vec<String> {
        let one = |l: &List| vec![literal(l)];
        match (ubl, id) {
            (true, "BR-CL-01") => vec![
                literal(&L_UBL_INVOICE_TYPES),
                literal(&L_UBL_CREDIT_NOTE_TYPES),
            ],
            (false, "BR-CL-01") => one(&L_CII_DOCUMENT_TYPES),
            (_, "BR-CL-03" | "BR-CL-04" | "BR-CL-05") => one(&L_CURRENCIES),
            (true, "BR-CL-06") => one(&L_UBL_VAT_POINT),
            (false, "BR-CL-06") => one(&L_CII_VAT_POINT),
            (_, "BR-CL-07") => one(&L_1153),
            (true, "BR-CL-08") => one(&L_UBL_SUBJECTS),
            (false, "BR-CL-08") => one(&L_CII_SUBJECTS),
            // SEPA: the UBL binding's exception for seller and payee.
            (true, "BR-CL-10") => vec![literal(&L_ICD), " SEPA ".to_owned()],
            (_, "BR-CL-10" | "BR-CL-11" | "BR-CL-21" | "BR-CL-26") => one(&L_ICD),
            (_, "BR-CL-13") => one(&L_7143),
            (true, "BR-CL-14" | "BR-CL-15") => one(&L_UBL_COUNTRIES),
            (false, "BR-CL-14" | "BR-CL-15") => one(&L_CII_COUNTRIES),
            (_, "BR-CL-16") => one(&L_PAYMENT_MEANS),
            (_, "BR-CL-17" | "BR-CL-18") => one(&L_VAT_CATEGORIES),
            (_, "BR-CL-19") => one(&L_ALLOWANCE_REASONS),
            (_, "BR-CL-20") => one(&L_CHARGE_REASONS),
            (_, "BR-CL-22") => one(&L_VATEX),
            (_, "BR-CL-23") => one(&L_UNITS),
            (_, "BR-CL-24") => one(&L_MIME),
            (_, "BR-CL-25") => one(&L_EAS),
            _ => Vec::new(),
        }
    }

    fn compare(name: &str, ubl: bool) {
        // Arrange
        let code_rules: Vec<(String, String)> = artefact_assertions(name)
            .into_iter()
            .filter(|(id, _)| id.starts_with("BR-CL-"))
            .collect();
        // Act
        let differing: Vec<&str> = code_rules
            .iter()
            .filter(|(id, test)| literals(test) != ours(ubl, id))
            .map(|(id, _)| id.as_str())
            .collect();
        // Assert
        assert_eq!(code_rules.len(), 23, "{name}: BR-CL rules");
        assert_eq!(differing, Vec::<&str>::new(), "{name}: lists that differ");
    }

    #[test]
    fn ubl_lists_are_the_literals_of_the_ubl_artefact() {
        compare("EN16931-UBL-validation.xslt", true);
    }

    #[test]
    fn cii_lists_are_the_literals_of_the_cii_artefact() {
        compare("EN16931-CII-validation.xslt", false);
    }

    #[test]
    fn a_code_is_admitted_with_surrounding_but_not_inner_whitespace() {
        // Arrange
        let cases = ["S", " S\n", "S Z", "", "\u{a0}S"];
        // Act
        let admitted: Vec<bool> = cases.iter().map(|v| L_VAT_CATEGORIES.admits(v)).collect();
        // Assert: normalize-space strips XML whitespace only.
        assert_eq!(admitted, [true, true, false, false, false]);
    }

    #[test]
    fn indicators_cast_as_xs_boolean() {
        // Arrange
        let cases = [" true ", "1", "false", "0", "TRUE", "yes"];
        // Act
        let cast: Vec<Option<bool>> = cases.iter().map(|v| xs_boolean(v)).collect();
        // Assert
        assert_eq!(
            cast,
            [Some(true), Some(true), Some(false), Some(false), None, None]
        );
    }

    /// Runs `check` on `xml`; the fired (rule, location) pairs, sorted.
    fn fired(
        xml: &str,
        check: fn(Node<'_>, &mut crate::validation::rule::Out),
    ) -> Vec<(&'static str, String)> {
        let tree = crate::input::xml::Tree::parse(xml.as_bytes()).expect("well-formed");
        let mut out = crate::validation::rule::Out::default();
        check(tree.root(), &mut out);
        fired_at(tree.root(), &out)
    }

    /// The official XSLT reports exactly these on this document (checked
    /// with the oracle of tools/differential).
    #[test]
    fn ubl_codes_fire_at_the_coded_element() {
        // Arrange: a note subject outside UNTDID 4451 (BR-CL-08; "A A" is a
        // substring of the list literal, a line note is not the document's),
        // an invoiced object whose second type code is 130 (BR-CL-07),
        // SEPA for the buyer (BR-CL-10), codes the artefact's lists do not
        // have (502 for an invoice, BGN, AN) or have (ICD 0248).
        let xml = r##"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"><cbc:ID>1</cbc:ID>
 <cbc:InvoiceTypeCode>502</cbc:InvoiceTypeCode>
 <cbc:Note>#QQQ#not a subject</cbc:Note>
 <cbc:Note>#AAI#fine</cbc:Note>
 <cbc:Note>#A A#a substring of the list</cbc:Note>
 <cbc:Note>#QQ#two letters</cbc:Note>
 <cbc:DocumentCurrencyCode>BGN</cbc:DocumentCurrencyCode>
 <cac:AdditionalDocumentReference><cbc:ID schemeID="QQQ">x</cbc:ID><cbc:DocumentTypeCode>916</cbc:DocumentTypeCode><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>
 <cac:AccountingSupplierParty><cac:Party><cac:PartyIdentification><cbc:ID schemeID="SEPA">s</cbc:ID></cac:PartyIdentification>
  <cac:PostalAddress><cac:Country><cbc:IdentificationCode>AN</cbc:IdentificationCode></cac:Country></cac:PostalAddress></cac:Party></cac:AccountingSupplierParty>
 <cac:AccountingCustomerParty><cac:Party><cac:PartyIdentification><cbc:ID schemeID="SEPA">b</cbc:ID></cac:PartyIdentification>
  <cac:PartyLegalEntity><cbc:CompanyID schemeID="0248">c</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:Note>#QQQ#a line note</cbc:Note><cbc:LineExtensionAmount>1.00</cbc:LineExtensionAmount>
  <cac:AllowanceCharge><cbc:ChargeIndicator>true</cbc:ChargeIndicator><cbc:AllowanceChargeReasonCode>41</cbc:AllowanceChargeReasonCode></cac:AllowanceCharge>
  <cac:Item><cbc:Name>x</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>Q</cbc:ID></cac:ClassifiedTaxCategory></cac:Item></cac:InvoiceLine>
</Invoice>"##;

        // Act
        let got = fired(xml, ubl);

        // Assert
        let line = "/Invoice[1]/InvoiceLine[1]";
        assert_eq!(
            got,
            expected(&[
                ("BR-CL-08", "/Invoice[1]/Note[1]"),
                ("BR-CL-01", "/Invoice[1]/InvoiceTypeCode[1]"),
                ("BR-CL-04", "/Invoice[1]/DocumentCurrencyCode[1]"),
                ("BR-CL-07", "/Invoice[1]/AdditionalDocumentReference[1]/ID[1]"),
                (
                    "BR-CL-14",
                    "/Invoice[1]/AccountingSupplierParty[1]/Party[1]/PostalAddress[1]/Country[1]/IdentificationCode[1]"
                ),
                (
                    "BR-CL-10",
                    "/Invoice[1]/AccountingCustomerParty[1]/Party[1]/PartyIdentification[1]/ID[1]"
                ),
                ("BR-CL-03", &format!("{line}/LineExtensionAmount[1]")),
                ("BR-CL-20", &format!("{line}/AllowanceCharge[1]/AllowanceChargeReasonCode[1]")),
                ("BR-CL-18", &format!("{line}/Item[1]/ClassifiedTaxCategory[1]/ID[1]")),
            ])
        );
    }

    /// The official XSLT reports exactly this on this document (checked
    /// with the oracle of tools/differential).
    #[test]
    fn ubl_type_codes_are_compared_as_written_and_prefixed_attributes_are_others() {
        // Arrange: "130 " is not the invoiced object's code, so its scheme
        // is not BR-CL-07's; `x:schemeID`, `x:unitCode` and `x:currencyID`
        // are not the attributes the rules select.
        let xml = r##"<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2" xmlns:x="urn:x"><cbc:ID>1</cbc:ID>
 <cac:AdditionalDocumentReference><cbc:ID schemeID="QQQ">a</cbc:ID><cbc:DocumentTypeCode>130</cbc:DocumentTypeCode></cac:AdditionalDocumentReference>
 <cac:AdditionalDocumentReference><cbc:ID schemeID="QQQ">b</cbc:ID><cbc:DocumentTypeCode>130 </cbc:DocumentTypeCode></cac:AdditionalDocumentReference>
 <cac:AccountingSupplierParty><cac:Party><cbc:EndpointID x:schemeID="QQQ">e</cbc:EndpointID><cac:PartyIdentification><cbc:ID x:schemeID="QQQ">s</cbc:ID></cac:PartyIdentification>
  <cac:PartyLegalEntity><cbc:CompanyID x:schemeID="QQQ">c</cbc:CompanyID></cac:PartyLegalEntity></cac:Party></cac:AccountingSupplierParty>
 <cac:InvoiceLine><cbc:ID>1</cbc:ID><cbc:InvoicedQuantity x:unitCode="QQQ">1</cbc:InvoicedQuantity><cbc:LineExtensionAmount currencyID="EUR" x:currencyID="QQQ">1.00</cbc:LineExtensionAmount>
  <cac:Item><cbc:Name>x</cbc:Name><cac:ClassifiedTaxCategory><cbc:ID>S</cbc:ID></cac:ClassifiedTaxCategory></cac:Item></cac:InvoiceLine>
</Invoice>"##;

        // Act
        let got = fired(xml, ubl);

        // Assert
        assert_eq!(
            got,
            expected(&[(
                "BR-CL-07",
                "/Invoice[1]/AdditionalDocumentReference[1]/ID[1]"
            )])
        );
    }

    /// The official XSLT reports exactly these on this document (checked
    /// with the oracle of tools/differential).
    #[test]
    fn cii_codes_fire_at_the_element_of_the_highest_ranked_template() {
        // Arrange: a subject code outside UNTDID 4451 (BR-CL-08) and a blank
        // reference type code (BR-CL-07); a party's ram:ID with a scheme is
        // BR-CL-11's (no SEPA exception in CII), a party's GlobalID
        // BR-CL-10's; a product's GlobalID is BR-CL-21's, one deeper in the
        // product nobody's; an origin country ID with a scheme is BR-CL-11's,
        // so its invalid country goes unchecked; AN is a CII country, SS not.
        let xml = r#"<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
<rsm:ExchangedDocument><ram:ID>1</ram:ID><ram:TypeCode>380</ram:TypeCode>
<ram:IncludedNote><ram:Content>x</ram:Content><ram:SubjectCode>QQQ</ram:SubjectCode></ram:IncludedNote>
<ram:IncludedNote><ram:Content>x</ram:Content><ram:SubjectCode>BAT</ram:SubjectCode></ram:IncludedNote>
</rsm:ExchangedDocument>
<rsm:SupplyChainTradeTransaction>
<ram:IncludedSupplyChainTradeLineItem><ram:SpecifiedTradeProduct><ram:GlobalID schemeID="XX">1</ram:GlobalID><ram:Foo><ram:GlobalID schemeID="XX">1</ram:GlobalID></ram:Foo>
<ram:OriginTradeCountry><ram:ID schemeID="0088">QQ</ram:ID></ram:OriginTradeCountry></ram:SpecifiedTradeProduct></ram:IncludedSupplyChainTradeLineItem>
<ram:ApplicableHeaderTradeAgreement>
<ram:SellerTradeParty><ram:ID schemeID="SEPA">1</ram:ID><ram:GlobalID schemeID="SEPA">1</ram:GlobalID><ram:Name>S</ram:Name>
<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">X</ram:ID></ram:SpecifiedTaxRegistration>
<ram:PostalTradeAddress><ram:CountryID>AN</ram:CountryID></ram:PostalTradeAddress></ram:SellerTradeParty>
<ram:BuyerTradeParty><ram:Name>B</ram:Name><ram:PostalTradeAddress><ram:CountryID>SS</ram:CountryID></ram:PostalTradeAddress></ram:BuyerTradeParty>
<ram:AdditionalReferencedDocument><ram:IssuerAssignedID>1</ram:IssuerAssignedID><ram:TypeCode>130</ram:TypeCode><ram:ReferenceTypeCode> </ram:ReferenceTypeCode></ram:AdditionalReferencedDocument>
</ram:ApplicableHeaderTradeAgreement>
<ram:ApplicableHeaderTradeDelivery><ram:ShipToTradeParty><ram:GlobalID schemeID="YY">1</ram:GlobalID></ram:ShipToTradeParty></ram:ApplicableHeaderTradeDelivery>
<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
<ram:SpecifiedTradeAllowanceCharge><ram:ChargeIndicator><udt:Indicator>false</udt:Indicator></ram:ChargeIndicator><ram:ActualAmount>1</ram:ActualAmount><ram:ReasonCode>ZZ</ram:ReasonCode></ram:SpecifiedTradeAllowanceCharge>
</ram:ApplicableHeaderTradeSettlement>
</rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>"#;

        // Act
        let got = fired(xml, cii);

        // Assert
        let tx = "/CrossIndustryInvoice[1]/SupplyChainTradeTransaction[1]";
        let agreement = format!("{tx}/ApplicableHeaderTradeAgreement[1]");
        assert_eq!(
            got,
            expected(&[
                (
                    "BR-CL-08",
                    "/CrossIndustryInvoice[1]/ExchangedDocument[1]/IncludedNote[1]/SubjectCode[1]"
                ),
                (
                    "BR-CL-21",
                    &format!("{tx}/IncludedSupplyChainTradeLineItem[1]/SpecifiedTradeProduct[1]/GlobalID[1]")
                ),
                ("BR-CL-11", &format!("{agreement}/SellerTradeParty[1]/ID[1]")),
                ("BR-CL-10", &format!("{agreement}/SellerTradeParty[1]/GlobalID[1]")),
                (
                    "BR-CL-14",
                    &format!("{agreement}/BuyerTradeParty[1]/PostalTradeAddress[1]/CountryID[1]")
                ),
                (
                    "BR-CL-07",
                    &format!("{agreement}/AdditionalReferencedDocument[1]/ReferenceTypeCode[1]")
                ),
                (
                    "BR-CL-26",
                    &format!("{tx}/ApplicableHeaderTradeDelivery[1]/ShipToTradeParty[1]/GlobalID[1]")
                ),
                (
                    "BR-CL-19",
                    &format!("{tx}/ApplicableHeaderTradeSettlement[1]/SpecifiedTradeAllowanceCharge[1]/ReasonCode[1]")
                ),
            ])
        );
    }
}
