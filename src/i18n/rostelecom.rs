//! Messages of the Rostelecom virtual PBX.

use super::catalogue;

catalogue! {
    TARGET: "the Rostelecom virtual PBX API at {0}", "API ВАТС Ростелеком {0}";
    AUTH_DETAIL: "HTTP {0} on {1}", "HTTP {0} на {1}";
    AUTH_DETAIL_SAID: "HTTP {0} on {1}: {2}", "HTTP {0} на {1}: {2}";
    AUTH_DETAIL_RESULT: "result {0} on {1}: {2}", "result {0} на {1}: {2}";
    NOT_JSON_RESULT:
        "{0} on {1} with «{2}» instead of a JSON result",
        "{0} на {1}: «{2}» вместо результата в JSON";
    REFUSED: "The Rostelecom PBX refused {0}: result {1}", "ВАТС Ростелеком отказала в {0}: result {1}";
    REFUSED_SAID:
        "The Rostelecom PBX refused {0}: result {1}, «{2}»",
        "ВАТС Ростелеком отказала в {0}: result {1}, «{2}»";
}
