//! Which topics were open in the tree, remembered by connection name between
//! runs (in eframe's storage, never in the profile file), so a connection
//! opened again opens them as they appear.

/// Connections whose expanded topics are remembered, at most (the least recent go first).
pub const REMEMBERED_CONNECTIONS: usize = 50;

/// Expanded topics by connection name, least recently remembered first; kept in
/// eframe's storage as JSON, never in the profile file.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct ExpandedMemory(Vec<(String, Vec<String>)>);

impl ExpandedMemory {
    pub fn get(&self, connection: &str) -> Option<&Vec<String>> {
        self.0
            .iter()
            .find(|(name, _)| name == connection)
            .map(|(_, topics)| topics)
    }

    /// Remember `topics` for `connection` as the most recent.
    pub fn remember(&mut self, connection: &str, topics: Vec<String>) {
        self.0.retain(|(name, _)| name != connection);
        self.0.push((connection.to_owned(), topics));
        let extra = self.0.len().saturating_sub(REMEMBERED_CONNECTIONS);
        self.0.drain(..extra);
    }
}
