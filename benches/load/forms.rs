//! Just enough HTML reading to submit the server-rendered forms of the connect flow: a
//! form's action and its named inputs.

/// A form as a browser would submit it.
pub struct Form {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl Form {
    /// The first form on `page` whose action ends with `action_suffix`.
    pub fn find(page: &str, action_suffix: &str) -> Option<Form> {
        page.split("<form").skip(1).find_map(|chunk| {
            let body = chunk.split("</form>").next().unwrap_or(chunk);
            let open_tag = body.split('>').next().unwrap_or(body);
            let action = attribute(open_tag, "action")?;
            if !action.ends_with(action_suffix) {
                return None;
            }
            let fields = body
                .split("<input")
                .skip(1)
                .filter_map(|tag| {
                    let tag = tag.split('>').next().unwrap_or(tag);
                    Some((
                        attribute(tag, "name")?,
                        attribute(tag, "value").unwrap_or_default(),
                    ))
                })
                .collect();
            Some(Form { action, fields })
        })
    }

    /// Sets a field, as typing into it or pressing a named button does.
    pub fn set(&mut self, name: &str, value: &str) {
        self.fields.retain(|(field, _)| field != name);
        self.fields.push((name.to_owned(), value.to_owned()));
    }
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = tag[start..].find('"')?;
    Some(unescape(&tag[start..start + end]))
}

fn unescape(text: &str) -> String {
    [
        ("&quot;", "\""),
        ("&#34;", "\""),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(text.to_owned(), |text, (entity, plain)| {
        text.replace(entity, plain)
    })
}
