//! "Did you mean …?" for an unknown name: the closest known name, if it is
//! close enough for a typo (at most one edit per three characters, at least
//! one, and fewer edits than the name has characters; a transposition is
//! one edit), in the manner of rustc's suggestions.

/// The known name closest to `name`, if any is close enough. Ties go to
/// the name that sorts first, so the suggestion never depends on order.
pub(crate) fn closest<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .into_iter()
        .filter(|k| *k != name && !k.is_empty())
        .map(|k| (strsim::damerau_levenshtein(name, k), k))
        // A name must keep something of itself: `B` is no suggestion for `A`.
        .filter(|(d, _)| *d <= limit && *d < name.chars().count())
        .min()
        .map(|(_, k)| k)
}

/// The help line for a suggestion.
pub(crate) fn did_you_mean(name: &str) -> String {
    format!("did you mean `{name}`?")
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn a_typo_finds_its_name_and_a_stranger_finds_none() {
        let known = ["Cluster", "Config", "nodes", "wanted"];
        assert_eq!(closest("Clustr", known), Some("Cluster"));
        assert_eq!(closest("cluster", known), Some("Cluster"));
        assert_eq!(closest("ndoes", known), Some("nodes"));
        assert_eq!(closest("zone", known), None);
        assert_eq!(closest("x", known), None);
        assert_eq!(closest("A", ["B", ""]), None);
        // Equally close: the first in order.
        assert_eq!(closest("ab", ["ac", "aa"]), Some("aa"));
    }
}
