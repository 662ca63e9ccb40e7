//! Code lists of the EN 16931 validation artefacts (BR-CL-*), as published
//! with the CEN/TC 434 artefacts v1.3.x, and their syntax bindings: which
//! element or attribute of UBL / CII each list constrains.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::hash::FastHash;

mod cii;
mod ubl;

pub(crate) use cii::cii;
pub(crate) use ubl::ubl;

/// UNTDID 1001 subset for invoices (BR-CL-01).
const INVOICE_TYPES: &str = "71 80 81 82 84 102 130 202 203 204 211 218 219 295 325 326 331 380 382 383 384 385 386 387 388 389 390 393 394 395 456 457 471 472 473 500 501 502 503 527 553 575 623 633 751 780 817 870 875 876 877 935";
/// UNTDID 1001 subset for credit notes (BR-CL-01).
const CREDIT_NOTE_TYPES: &str = "81 83 261 262 296 308 381 396 420 458 532";
/// ISO 4217 alpha-3 (BR-CL-03/04/05).
const CURRENCIES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRO MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STD SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UZS VES VED VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG";
/// UNTDID 2005 restriction: VAT point date codes (BR-CL-06).
const VAT_POINT_CODES: &str = "3 35 432";
/// UNTDID 1153 (BR-CL-07).
const SCHEME_1153: &str = include_str!("scheme1153.txt");
/// UNTDID 7143 (BR-CL-13).
const ITEM_CLASSIFICATION: &str = "AA AB AC AD AE AF AG AH AI AJ AK AL AM AN AO AP AQ AR AS AT AU AV AW AX AY AZ BA BB BC BD BE BF BG BH BI BJ BK BL BM BN BO BP BQ BR BS BT BU BV BW BX BY BZ CC CG CL CR CV DR DW EC EF EMD EN FS GB GN GMN GS HS IB IN IS IT IZ MA MF MN MP NB ON PD PL PO PPI PV QS RC RN RU RY SA SG SK SN SRS SRT SRU SRV SRW SRX SRY SRZ SS SSA SSB SSC SSD SSE SSF SSG SSH SSI SSJ SSK SSL SSM SSN SSO SSP SSQ SSR SSS SST SSU SSV SSW SSX SSY SSZ ST STA STB STC STD STE STF STG STH STI STJ STK STL STM STN STO STP STQ STR STS STT STU STV STW STX STY STZ SUA SUB SUC SUD SUE SUF SUG SUH SUI SUJ SUK SUL SUM TG TSN TSO TSP TSQ TSR TSS TST TSU UA UP VN VP VS VX ZZZ";
/// ISO 3166-1 alpha-2 (+ 1A Kosovo, XI Northern Ireland) (BR-CL-14/15).
const COUNTRIES: &str = "1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW";
/// UNTDID 5305 restriction (BR-CL-17/18).
const VAT_CATEGORIES: &str = "AE L M E S Z G O K B";
/// UNTDID 5189 restriction: allowance reasons (BR-CL-19).
const ALLOWANCE_REASONS: &str = "41 42 60 62 63 64 65 66 67 68 70 71 88 95 100 102 103 104 105";
/// UNTDID 7161: charge reasons (BR-CL-20).
const CHARGE_REASONS: &str = "AA AAA AAC AAD AAE AAF AAH AAI AAS AAT AAV AAY AAZ ABA ABB ABC ABD ABF ABK ABL ABN ABR ABS ABT ABU ACF ACG ACH ACI ACJ ACK ACL ACM ACS ADC ADE ADJ ADK ADL ADM ADN ADO ADP ADQ ADR ADT ADW ADY ADZ AEA AEB AEC AED AEF AEH AEI AEJ AEK AEL AEM AEN AEO AEP AES AET AEU AEV AEW AEX AEY AEZ AJ AU CA CAB CAD CAE CAF CAI CAJ CAK CAL CAM CAN CAO CAP CAQ CAR CAS CAT CAU CAV CAW CAX CAY CAZ CD CG CS CT DAB DAD DAC DAF DAG DAH DAI DAJ DAK DAL DAM DAN DAO DAP DAQ DL EG EP ER FAA FAB FAC FC FH FI GAA HAA HD HH IAA IAB ID IF IR IS KO L1 LA LAA LAB LF MAE MI ML NAA OA PA PAA PC PL PRV RAB RAC RAD RAF RE RF RH RV SA SAA SAD SAE SAI SG SH SM SU TAB TAC TT TV V1 V2 WH XAA YY ZZZ";
/// CEF VATEX (BR-CL-22), compared upper-cased.
const VATEX: &str = "VATEX-EU-79-C VATEX-EU-132 VATEX-EU-132-1A VATEX-EU-132-1B VATEX-EU-132-1C VATEX-EU-132-1D VATEX-EU-132-1E VATEX-EU-132-1F VATEX-EU-132-1G VATEX-EU-132-1H VATEX-EU-132-1I VATEX-EU-132-1J VATEX-EU-132-1K VATEX-EU-132-1L VATEX-EU-132-1M VATEX-EU-132-1N VATEX-EU-132-1O VATEX-EU-132-1P VATEX-EU-132-1Q VATEX-EU-143 VATEX-EU-143-1A VATEX-EU-143-1B VATEX-EU-143-1C VATEX-EU-143-1D VATEX-EU-143-1E VATEX-EU-143-1F VATEX-EU-143-1FA VATEX-EU-143-1G VATEX-EU-143-1H VATEX-EU-143-1I VATEX-EU-143-1J VATEX-EU-143-1K VATEX-EU-143-1L VATEX-EU-144 VATEX-EU-146-1E VATEX-EU-159 VATEX-EU-309 VATEX-EU-148 VATEX-EU-148-A VATEX-EU-148-B VATEX-EU-148-C VATEX-EU-148-D VATEX-EU-148-E VATEX-EU-148-F VATEX-EU-148-G VATEX-EU-151 VATEX-EU-151-1A VATEX-EU-151-1AA VATEX-EU-151-1B VATEX-EU-151-1C VATEX-EU-151-1D VATEX-EU-151-1E VATEX-EU-G VATEX-EU-O VATEX-EU-IC VATEX-EU-AE VATEX-EU-D VATEX-EU-F VATEX-EU-I VATEX-EU-J VATEX-FR-FRANCHISE VATEX-FR-CNWVAT VATEX-EU-153 VATEX-FR-CGI261-1 VATEX-FR-CGI261-2 VATEX-FR-CGI261-3 VATEX-FR-CGI261-4 VATEX-FR-CGI261-5 VATEX-FR-CGI261-7 VATEX-FR-CGI261-8 VATEX-FR-CGI261A VATEX-FR-CGI261B VATEX-FR-CGI261C-1 VATEX-FR-CGI261C-2 VATEX-FR-CGI261C-3 VATEX-FR-CGI261D-1 VATEX-FR-CGI261D-1BIS VATEX-FR-CGI261D-2 VATEX-FR-CGI261D-3 VATEX-FR-CGI261D-4 VATEX-FR-CGI261E-1 VATEX-FR-CGI261E-2 VATEX-FR-CGI277A VATEX-FR-CGI275 VATEX-FR-298SEXDECIESA VATEX-FR-CGI295 VATEX-FR-AE";
/// UN/ECE Recommendation 20 with Rec 21 extension (BR-CL-23).
const UNITS: &str = include_str!("units.txt");
/// MIME types allowed for attachments (BR-CL-24).
const MIME: &str = "application/pdf image/png image/jpeg text/csv application/vnd.openxmlformats-officedocument.spreadsheetml.sheet application/vnd.oasis.opendocument.spreadsheet";
/// CEF EAS (BR-CL-25).
const EAS: &str = "0002 0007 0009 0037 0060 0088 0096 0097 0106 0130 0135 0142 0147 0151 0154 0158 0170 0177 0183 0184 0188 0190 0191 0192 0193 0194 0195 0196 0198 0199 0200 0201 0202 0203 0204 0205 0208 0209 0210 0211 0212 0213 0215 0216 0217 0218 0219 0220 0221 0225 0230 0235 0240 9910 9913 9914 9915 9918 9919 9920 9922 9923 9924 9925 9926 9927 9928 9929 9930 9931 9932 9933 9934 9935 9936 9937 9938 9939 9940 9941 9942 9943 9944 9945 9946 9947 9948 9949 9950 9951 9952 9953 9957 9959 AN AQ AS AU EM";

/// A code list: membership of a whitespace-normalised value.
pub(crate) struct List {
    set: OnceLock<HashSet<String, FastHash>>,
    src: fn() -> Vec<String>,
}

impl List {
    const fn new(src: fn() -> Vec<String>) -> List {
        List {
            set: OnceLock::new(),
            src,
        }
    }
    /// `contains(' list ', concat(' ', normalize-space(v), ' '))` with no
    /// inner space: exact membership.
    pub(crate) fn has(&self, v: &str) -> bool {
        let v = v.trim();
        self.set
            .get_or_init(|| (self.src)().into_iter().collect())
            .contains(v)
    }
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

/// ISO 6523 ICD 0002–0240 without the withdrawn 0092, 0103, 0181, 0182.
fn icd() -> Vec<String> {
    (2..=240)
        .filter(|n| ![92, 103, 181, 182].contains(n))
        .map(|n| format!("{n:04}"))
        .collect()
}

/// UNCL 4461 restriction: 1–70, 74–78, 91–98, ZZZ.
fn payment_means() -> Vec<String> {
    (1..=70)
        .chain(74..=78)
        .chain(91..=98)
        .map(|n| n.to_string())
        .chain(std::iter::once("ZZZ".to_owned()))
        .collect()
}

pub(crate) static L_INVOICE_TYPES: List = List::new(|| words(INVOICE_TYPES));
pub(crate) static L_CREDIT_NOTE_TYPES: List = List::new(|| words(CREDIT_NOTE_TYPES));
pub(crate) static L_CURRENCIES: List = List::new(|| words(CURRENCIES));
pub(crate) static L_VAT_POINT: List = List::new(|| words(VAT_POINT_CODES));
pub(crate) static L_1153: List = List::new(|| words(SCHEME_1153));
pub(crate) static L_ICD: List = List::new(icd);
pub(crate) static L_7143: List = List::new(|| words(ITEM_CLASSIFICATION));
pub(crate) static L_COUNTRIES: List = List::new(|| words(COUNTRIES));
pub(crate) static L_PAYMENT_MEANS: List = List::new(payment_means);
pub(crate) static L_VAT_CATEGORIES: List = List::new(|| words(VAT_CATEGORIES));
pub(crate) static L_ALLOWANCE_REASONS: List = List::new(|| words(ALLOWANCE_REASONS));
pub(crate) static L_CHARGE_REASONS: List = List::new(|| words(CHARGE_REASONS));
pub(crate) static L_VATEX: List = List::new(|| words(VATEX));
pub(crate) static L_UNITS: List = List::new(|| words(UNITS));
pub(crate) static L_MIME: List = List::new(|| words(MIME));
pub(crate) static L_EAS: List = List::new(|| words(EAS));

/// A value with inner whitespace is never a code.
pub(crate) fn code_ok(list: &List, v: &str) -> bool {
    let t = v.trim();
    !t.contains(char::is_whitespace) && list.has(t)
}
