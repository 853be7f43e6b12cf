//! The inbox's rules: the channels a message may take beyond the page, what a valid address on
//! each looks like, and how long a failed delivery waits before it is tried again.

use serde::Serialize;

/// A way to tell a person beyond the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// E-mail over SMTP.
    Email,
    /// A text message through the province's SMS gateway.
    Sms,
    /// A 企业微信 group robot.
    Wecom,
    /// A 钉钉 group robot.
    Dingtalk,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Self::Email, Self::Sms, Self::Wecom, Self::Dingtalk];

    pub fn key(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Wecom => "wecom",
            Self::Dingtalk => "dingtalk",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|channel| channel.key() == text)
    }

    /// The channel's name, in English when `english` (on the settings page and in messages).
    pub fn label(self, english: bool) -> &'static str {
        match (self, english) {
            (Self::Email, false) => "电子邮件",
            (Self::Email, true) => "E-mail",
            (Self::Sms, false) => "手机短信",
            (Self::Sms, true) => "Text message",
            (Self::Wecom, false) => "企业微信群机器人",
            (Self::Wecom, true) => "WeCom group robot",
            (Self::Dingtalk, false) => "钉钉群机器人",
            (Self::Dingtalk, true) => "DingTalk group robot",
        }
    }

    /// The address as given, trimmed, if it is one this channel can use: an e-mail address, a
    /// mainland mobile number, or a group robot's key (the part of its URL after `key=` or
    /// `access_token=`; the robot's host is the operator's configuration, never the user's, so
    /// that an account cannot make the server post anywhere it likes).
    ///
    /// A 钉钉 robot that signs its messages (加签) takes its secret too, after the key and a
    /// space (`<access_token> SEC…`); it is kept as `<access_token>:SEC…`.
    pub fn parse_address(self, text: &str) -> Option<String> {
        let text = text.trim();
        let robot_key = |key: &str| (8..=128).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        match self {
            Self::Email => is_email_address(text).then(|| text.to_owned()),
            Self::Sms => is_mobile_number(text).then(|| text.to_owned()),
            Self::Wecom => robot_key(text).then(|| text.to_owned()),
            Self::Dingtalk => {
                let mut parts = text.split([' ', ':']).filter(|part| !part.is_empty());
                let (key, secret) = (parts.next()?, parts.next());
                let secret_ok =
                    |secret: &str| secret.starts_with("SEC") && (8..=128).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_alphanumeric());
                match (robot_key(key), secret, parts.next()) {
                    (true, None, None) => Some(key.to_owned()),
                    (true, Some(secret), None) if secret_ok(secret) => Some(format!("{key}:{secret}")),
                    _ => None,
                }
            }
        }
    }

    /// A stored 钉钉 address as its key and, when it signs, its secret.
    pub fn robot_key_and_secret(address: &str) -> (&str, Option<&str>) {
        match address.split_once(':') {
            Some((key, secret)) => (key, Some(secret)),
            None => (address, None),
        }
    }

    /// The address as shown back on the settings page: a robot key is a secret (whoever holds it
    /// may post to the group), so only its last four characters are shown.
    pub fn shown_address(self, address: &str) -> String {
        match self {
            Self::Wecom | Self::Dingtalk => {
                let tail = |text: &str| text.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect::<String>();
                match Self::robot_key_and_secret(address) {
                    (key, Some(secret)) => format!("…{} SEC…{}", tail(key), tail(secret)),
                    (key, None) => format!("…{}", tail(key)),
                }
            }
            Self::Email | Self::Sms => address.to_owned(),
        }
    }

    /// The address as kept outside its owner's settings (the audit log, a message that a code
    /// was sent): enough to tell addresses apart, not enough to write to one. A robot's as
    /// `shown_address`; an e-mail address by its first character and its domain
    /// (`z***@example.cn`); a phone number by its first three and last four digits.
    pub fn masked_address(self, address: &str) -> String {
        match self {
            Self::Wecom | Self::Dingtalk => self.shown_address(address),
            Self::Email => match address.split_once('@') {
                Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
                None => "***".to_owned(),
            },
            Self::Sms => {
                let digits: Vec<char> = address.chars().collect();
                if digits.len() <= 7 {
                    "****".to_owned()
                } else {
                    format!("{}****{}", digits[..3].iter().collect::<String>(), digits[digits.len() - 4..].iter().collect::<String>())
                }
            }
        }
    }
}

impl TryFrom<String> for Channel {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or_else(|| format!("unknown inbox channel {value:?}"))
    }
}

/// A plain address `local@domain`: printable ASCII without spaces, quotes or angle brackets (so
/// that it cannot smuggle a second recipient or a header), a dot in the domain, at most 254.
fn is_email_address(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else { return false };
    let allowed_local = |b: u8| b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b);
    let allowed_domain = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    text.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && local.bytes().all(allowed_local)
        && domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && !domain.contains("..")
        && domain.bytes().all(allowed_domain)
}

/// A mainland China mobile number: 11 digits starting 13–19, optionally written with +86.
fn is_mobile_number(text: &str) -> bool {
    let digits = text.strip_prefix("+86").unwrap_or(text);
    digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit()) && digits.starts_with('1') && (b'3'..=b'9').contains(&digits.as_bytes()[1])
}

/// Most attempts at one delivery; after the last it is marked failed and kept with its error.
pub const DELIVERY_ATTEMPTS_MAX: i64 = 6;

/// How long a delivery waits after its `attempts`-th failure: 1, 5 and 30 minutes, then 2 hours.
pub fn retry_after_ms(attempts: i64) -> i64 {
    const MINUTE: i64 = 60_000;
    match attempts {
        ..=1 => MINUTE,
        2 => 5 * MINUTE,
        3 => 30 * MINUTE,
        _ => 120 * MINUTE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(channel: Channel, address: &str, valid: bool) {
        assert_eq!(channel.parse_address(address).is_some(), valid, "{channel:?} {address:?}");
    }

    #[test]
    fn addresses_are_checked_per_channel() {
        check(Channel::Email, "zhang.san@yjt.jl.gov.cn", true);
        check(Channel::Email, " a@b.cn ", true);
        check(Channel::Email, "a@b", false);
        check(Channel::Email, "a b@c.cn", false);
        check(Channel::Email, "a@c.cn\r\nBcc: x@y.cn", false);
        check(Channel::Email, "<a@c.cn>", false);
        check(Channel::Email, "a@@c.cn", false);
        check(Channel::Email, "a@.c.cn", false);
        check(Channel::Email, "@c.cn", false);
        check(Channel::Sms, "13912345678", true);
        check(Channel::Sms, "+8613912345678", true);
        check(Channel::Sms, "12912345678", false);
        check(Channel::Sms, "1391234567", false);
        check(Channel::Sms, "1391234567x", false);
        check(Channel::Wecom, "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa", true);
        check(Channel::Wecom, "short", false);
        check(Channel::Dingtalk, "https://evil.example/?x=", false);
        check(Channel::Dingtalk, "../../admin", false);
        // A signing robot's secret comes after its key.
        assert_eq!(Channel::Dingtalk.parse_address(" 0123456789abcdef  SEC0123456789abcdef "), Some("0123456789abcdef:SEC0123456789abcdef".into()));
        check(Channel::Dingtalk, "0123456789abcdef SEC01234/../", false);
        check(Channel::Dingtalk, "0123456789abcdef notasecret", false);
        check(Channel::Dingtalk, "0123456789abcdef SEC0123456789 SEC0123456789", false);
        check(Channel::Wecom, "0123456789abcdef SEC0123456789abcdef", false);
    }

    #[test]
    fn robot_keys_are_shown_masked() {
        assert_eq!(Channel::Wecom.shown_address("abcdefgh1234"), "…1234");
        assert_eq!(Channel::Dingtalk.shown_address("abcdefgh1234:SEC0123456789wxyz"), "…1234 SEC…wxyz");
        assert_eq!(Channel::Email.shown_address("a@b.cn"), "a@b.cn");
        assert_eq!(Channel::Email.masked_address("zhang.san@example.cn"), "z***@example.cn");
        assert_eq!(Channel::Sms.masked_address("13900007777"), "139****7777");
        assert_eq!(Channel::Sms.masked_address("1234"), "****");
        assert_eq!(Channel::Dingtalk.masked_address("abcdefgh1234:SEC0123456789wxyz"), "…1234 SEC…wxyz");
    }

    #[test]
    fn retries_back_off() {
        let waits: Vec<i64> = (1..=DELIVERY_ATTEMPTS_MAX).map(retry_after_ms).collect();
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
        assert_eq!(waits[0], 60_000);
    }
}
