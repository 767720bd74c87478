//! Identities (`policies/identities.toml`): who a GitHub login is in Identity Center.
//! Logins compare case-insensitively, as GitHub treats them.

use std::collections::HashMap;

use super::Ctx;
use crate::core::files::raw::RawIdentities;

#[derive(Debug, Clone, Default)]
pub struct Identities {
    pub user_name_template: Option<String>,
    /// Lowercased login -> Identity Center user name.
    users: HashMap<String, String>,
}

impl Identities {
    pub fn from_raw(raw: RawIdentities, cx: &mut Ctx<'_>) -> Identities {
        if let Some(t) = &raw.user_name_template
            && !t.get_ref().contains("{login}")
        {
            cx.error(
                "invalid-template",
                t.span(),
                format!("`{}` does not contain `{{login}}`", t.get_ref()),
                "write a template such as `{login}@acme.example`",
            );
        }
        let mut users = HashMap::new();
        let mut first_spelling: HashMap<String, String> = HashMap::new();
        for (login, user) in raw.users {
            if !crate::core::files::lexical::is_github_login(login.get_ref()) {
                cx.error(
                    "invalid-login",
                    login.span(),
                    format!("`{}` is not a GitHub login", login.get_ref()),
                    "GitHub logins are letters, digits and single dashes, at most 39 characters",
                );
                continue;
            }
            if !crate::core::files::lexical::is_user_name(user.get_ref()) {
                cx.error(
                    "invalid-user-name",
                    user.span(),
                    format!("`{}` is not an Identity Center user name", user.get_ref()),
                    "user names are 1 to 128 characters without spaces",
                );
            }
            let key = login.get_ref().to_ascii_lowercase();
            if let Some(previous) = first_spelling.get(&key) {
                cx.error(
                    "duplicate-login",
                    login.span(),
                    format!("login `{}` is listed twice (as `{previous}` too)", login.get_ref()),
                    "GitHub logins compare case-insensitively; keep one entry",
                );
                continue;
            }
            first_spelling.insert(key.clone(), login.get_ref().clone());
            users.insert(key, user.into_inner());
        }
        Identities {
            user_name_template: raw.user_name_template.map(|t| t.into_inner()),
            users,
        }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>, template: Option<&str>) -> Identities {
        Identities {
            user_name_template: template.map(str::to_string),
            users: pairs
                .into_iter()
                .map(|(l, u)| (l.to_ascii_lowercase(), u.to_string()))
                .collect(),
        }
    }

    /// The Identity Center user name of a GitHub login: listed, else from the template.
    pub fn user_name(&self, login: &str) -> Option<String> {
        let key = login.to_ascii_lowercase();
        if let Some(u) = self.users.get(&key) {
            return Some(u.clone());
        }
        self.user_name_template.as_ref().map(|t| t.replace("{login}", &key))
    }

    /// The logins listed under `[users]` with this Identity Center user name (compared
    /// ASCII case-insensitively, as e-mail addresses are), sorted; never from the template.
    pub fn logins_with_user_name(&self, user_name: &str) -> Vec<String> {
        let mut logins: Vec<String> = self
            .users
            .iter()
            .filter(|(_, u)| u.eq_ignore_ascii_case(user_name))
            .map(|(l, _)| l.clone())
            .collect();
        logins.sort();
        logins
    }

    /// Whether the login is listed explicitly (not only through the template).
    pub fn is_listed(&self, login: &str) -> bool {
        self.users.contains_key(&login.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_case_insensitive_and_template_falls_back() {
        let ids = Identities::from_pairs([("Bob-Ops", "bob@acme.example")], Some("{login}@acme.example"));
        assert_eq!(ids.user_name("bob-ops").as_deref(), Some("bob@acme.example"));
        assert_eq!(ids.user_name("BOB-OPS").as_deref(), Some("bob@acme.example"));
        assert_eq!(ids.user_name("Carol").as_deref(), Some("carol@acme.example"));
        let none = Identities::from_pairs([], None);
        assert_eq!(none.user_name("carol"), None);
    }
}
