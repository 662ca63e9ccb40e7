//! Seller, buyer, payee and tax representative (BG-4 … BG-12) and the
//! payment instructions (BG-16 … BG-18).

use super::{is_blank, named, normalize_space};
use crate::model::Invoice;
use crate::validation::rule::{rule, Out};

const COUNTRY_PREFIXES: &str = " 1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH EL ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW ";

fn first2(s: &str) -> &str {
    let end = s.char_indices().nth(2).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

pub(super) fn check(inv: &Invoice, out: &mut Out, cii: bool) {
    if !cii {
        // UBL: on each address (CII: from the root, `document`).
        for (party, id) in [(&inv.seller, rule!("BR-09")), (&inv.buyer, rule!("BR-11"))] {
            for a in party.iter().flat_map(|p| p.addresses.iter()) {
                out.check(!a.country.is_empty(), id, a.at);
            }
        }
    }
    if let Some(at) = inv.seller_at {
        // Context UBL `cac:AccountingSupplierParty`, whose party identifiers
        // count unless their scheme is "SEPA"; CII `ram:SellerTradeParty`.
        let ok = inv.seller.as_ref().is_some_and(|s| {
            !s.vat_ids.is_empty()
                || !s.legal_ids.is_empty()
                || !s.global_ids.is_empty()
                || s.ids
                    .iter()
                    .any(|i| cii || i.scheme.as_deref() != Some("SEPA"))
        });
        out.check(ok, rule!("BR-CO-26"), at);
    }
    endpoints(inv, out, cii);
    if let Some(pe) = &inv.payee {
        let seller = inv.seller.as_ref();
        // CII: `(ram:Name) and not(ram:Name = …)`, a blank name included;
        // UBL: the trading name.
        let name = if cii {
            pe.name.is_some()
        } else {
            !pe.trading_names.is_empty()
        };
        let same_name = seller.is_some_and(|s| {
            if cii {
                pe.name == s.name
            } else {
                pe.trading_names.iter().any(|n| s.trading_names.contains(n))
            }
        });
        let same_id = seller.is_some_and(|s| {
            pe.ids
                .iter()
                .any(|i| s.ids.iter().any(|j| j.value == i.value))
        }) || (cii
            && seller.is_some_and(|s| pe.legal_ids.iter().any(|i| s.legal_ids.contains(i))));
        out.check(name && !same_name && !same_id, rule!("BR-17"), pe.at);
    }
    if let Some(tr) = &inv.tax_rep {
        let name = if cii {
            named(tr)
        } else {
            tr.trading_names.iter().any(|n| !n.is_empty())
        };
        out.check(name, rule!("BR-18"), tr.at);
        out.check(tr.address().is_some(), rule!("BR-19"), tr.at);
        out.check(
            if cii {
                tr.vat_ids.iter().any(|i| !i.value.is_empty())
            } else {
                !tr.vat_ids.is_empty()
            },
            rule!("BR-56"),
            tr.at,
        );
        if cii {
            // `normalize-space(ram:PostalTradeAddress/ram:CountryID) != ''`
            // on the party: a representative without address fails it too.
            out.check(
                tr.address().is_some_and(|a| !a.country.is_empty()),
                rule!("BR-20"),
                tr.at,
            );
        } else {
            // `normalize-space(cac:Country/cbc:IdentificationCode) != ''` on
            // each address.
            for a in &tr.addresses {
                out.check(!a.country.is_empty(), rule!("BR-20"), a.at);
            }
        }
    }
    // BR-CO-09 on every VAT identifier (context UBL `cac:PartyTaxScheme`,
    // CII `ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']`).
    let all_vat = [&inv.seller, &inv.buyer, &inv.tax_rep, &inv.payee]
        .into_iter()
        .flatten()
        .flat_map(|p| p.vat_ids.iter());
    for id in all_vat {
        let prefix = first2(&id.value);
        // CII looks for ' XX ', UBL for the bare prefix (so one letter, or
        // two spanning a separator, pass there).
        let ok = if cii {
            COUNTRY_PREFIXES.contains(&format!(" {prefix} "))
        } else {
            COUNTRY_PREFIXES.contains(prefix)
        };
        out.check(ok, rule!("BR-CO-09"), id.at);
    }
    payment(inv, out, cii);
}

/// BR-62 (seller) and BR-63 (buyer): UBL on each `cbc:EndpointID`, which
/// needs a `@schemeID`; CII on the root, which needs a non-blank
/// `@schemeID` on the first `ram:URIUniversalCommunication`'s `ram:URIID`
/// when the party has one.
fn endpoints(inv: &Invoice, out: &mut Out, cii: bool) {
    let parties = [(&inv.seller, rule!("BR-62")), (&inv.buyer, rule!("BR-63"))];
    for (party, id) in parties {
        let Some(p) = party.as_ref() else { continue };
        if cii {
            if let Some(e) = p.endpoints.first() {
                let ok = e.scheme.as_deref().is_some_and(|s| !is_blank(s));
                out.check(ok, id, inv.at);
            }
        } else {
            for e in &p.endpoints {
                out.check(e.scheme.is_some(), id, e.at);
            }
        }
    }
}

fn payment(inv: &Invoice, out: &mut Out, cii: bool) {
    for pm in &inv.payment_means {
        out.check(pm.code.is_some(), rule!("BR-49"), pm.at);
        let transfer = matches!(pm.code.as_deref(), Some("30" | "58"));
        if transfer {
            // Context: each account of a credit transfer. BR-50 wants a
            // non-blank BT-84; CII BR-61 any BT-84 element.
            for a in &pm.accounts {
                let ok = a.ids.iter().any(|i| !is_blank(i));
                out.check(ok, rule!("BR-50"), a.at);
                if cii {
                    out.check(!a.ids.is_empty(), rule!("BR-61"), a.at);
                }
            }
            if !cii {
                // UBL BR-61 on the payment means: some account has a BT-84
                // element, blank or not.
                let ok = pm.accounts.iter().any(|a| !a.ids.is_empty());
                out.check(ok, rule!("BR-61"), pm.at);
            }
        }
        for card in &pm.cards {
            // A warning in the UBL binding, fatal in the CII binding: the
            // catalogue has both.
            let ok = normalize_space(&card.number).chars().count() <= 10;
            out.check(ok, rule!("BR-51"), card.at);
        }
    }
}
