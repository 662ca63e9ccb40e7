//! Seller, buyer, payee and tax representative (BG-4 … BG-12) and the
//! payment instructions (BG-16 … BG-18).

use crate::model::Invoice;
use crate::validation::rule::{rule, Out};

const COUNTRY_PREFIXES: &str = " 1A AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH EL ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XI YE YT ZA ZM ZW ";

fn first2(s: &str) -> &str {
    let end = s.char_indices().nth(2).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

pub(super) fn check(inv: &Invoice, out: &mut Out, cii: bool) {
    if !cii {
        // UBL: on the address (CII: from the root, `document`).
        if let Some(a) = inv.seller.as_ref().and_then(|s| s.address.as_ref()) {
            out.check(!a.country.is_empty(), rule!("BR-09"), a.at);
        }
        if let Some(a) = inv.buyer.as_ref().and_then(|s| s.address.as_ref()) {
            out.check(!a.country.is_empty(), rule!("BR-11"), a.at);
        }
    }
    if let Some(s) = &inv.seller {
        // Context UBL `cac:AccountingSupplierParty` (the model keeps its
        // `cac:Party`: described until it keeps both), CII
        // `ram:SellerTradeParty`.
        let ok = !s.vat_ids.is_empty() || !s.ids.is_empty() || !s.legal_ids.is_empty();
        if cii {
            out.check(ok, rule!("BR-CO-26"), s.at);
        } else {
            out.check(ok, rule!("BR-CO-26"), "BG-4");
        }
    }
    // BR-62/63: UBL context the `cbc:EndpointID` (not kept by the model yet:
    // described), CII the root.
    let endpoints = [
        (&inv.seller, rule!("BR-62"), "BT-34"),
        (&inv.buyer, rule!("BR-63"), "BT-49"),
    ];
    for (party, id, described) in endpoints {
        if let Some(ok) = party.as_ref().and_then(|p| p.endpoint_scheme) {
            if cii {
                out.check(ok, id, inv.at);
            } else {
                out.check(ok, id, described);
            }
        }
    }
    if let Some(pe) = &inv.payee {
        let seller = inv.seller.as_ref();
        let name = if cii {
            Some(pe.name.as_str()).filter(|n| !n.is_empty())
        } else {
            pe.trading_names.first().map(String::as_str)
        };
        let same_name = seller.is_some_and(|s| {
            if cii {
                pe.name == s.name
            } else {
                pe.trading_names.iter().any(|n| s.trading_names.contains(n))
            }
        });
        let same_id = seller.is_some_and(|s| pe.ids.iter().any(|i| s.ids.contains(i)))
            || (cii
                && seller.is_some_and(|s| pe.legal_ids.iter().any(|i| s.legal_ids.contains(i))));
        out.check(
            name.is_some() && !same_name && !same_id,
            rule!("BR-17"),
            pe.at,
        );
    }
    if let Some(tr) = &inv.tax_rep {
        let name = if cii {
            !tr.name.is_empty()
        } else {
            tr.trading_names.iter().any(|n| !n.is_empty())
        };
        out.check(name, rule!("BR-18"), tr.at);
        out.check(tr.address.is_some(), rule!("BR-19"), tr.at);
        out.check(
            if cii {
                tr.vat_ids.iter().any(|i| !i.is_empty())
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
                tr.address.as_ref().is_some_and(|a| !a.country.is_empty()),
                rule!("BR-20"),
                tr.at,
            );
        } else if let Some(a) = &tr.address {
            out.check(a.country_present, rule!("BR-20"), a.at);
        }
    }
    // BR-CO-09 on every VAT identifier (context UBL `cac:PartyTaxScheme`,
    // CII `ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']`, elements the
    // model does not keep yet: described).
    let all_vat = [&inv.seller, &inv.buyer, &inv.tax_rep, &inv.payee]
        .into_iter()
        .flatten()
        .flat_map(|p| p.vat_ids.iter());
    for id in all_vat {
        let prefix = first2(id);
        let ok = if cii {
            COUNTRY_PREFIXES.contains(&format!(" {prefix} "))
        } else {
            COUNTRY_PREFIXES.contains(prefix)
        };
        out.check(ok, rule!("BR-CO-09"), "VAT identifier");
    }
    payment(inv, out, cii);
}

fn payment(inv: &Invoice, out: &mut Out, cii: bool) {
    for (i, pm) in inv.payment_means.iter().enumerate() {
        out.check(pm.code.is_some(), rule!("BR-49"), pm.at);
        // The account (BR-50, CII BR-61) and card (BR-51) contexts are
        // elements the model does not keep yet: described.
        let described = format!("BG-16[{}]", i + 1);
        let transfer = matches!(pm.code.as_deref(), Some("30" | "58"));
        if transfer {
            if let Some(ok) = pm.account {
                out.check(ok, rule!("BR-50"), &described);
            }
            if cii {
                // Context: the `ram:PayeePartyCreditorFinancialAccount`
                // itself, so no account, no check.
                if let Some(ok) = pm.account {
                    out.check(ok, rule!("BR-61"), &described);
                }
            } else {
                out.check(pm.account == Some(true), rule!("BR-61"), pm.at);
            }
        }
        for pan in &pm.card_numbers {
            if pan.chars().count() > 10 {
                // A warning in the UBL binding, fatal in the CII binding:
                // the catalogue has both.
                out.fire(rule!("BR-51"), &described);
            }
        }
    }
}
